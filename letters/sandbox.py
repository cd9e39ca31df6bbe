"""The sandbox that runs the templates staff write.

Staff write letters in Django's template language, but through a dedicated `Engine`:
- no loaders and no tag libraries: `{% include %}`, `{% extends %}`, `{% ssi %}`, `{% load %}`,
  `{% debug %}`, `{% url %}`, `{% now %}` … do not exist here, so no file, setting or URL can be
  reached and a letter re-renders identically later;
- only the tags and filters in `TAGS` and `FILTERS` (none of them marks text safe or turns
  escaping off), and autoescaping always on;
- every variable, wherever it appears (output, `if`, `for`, filter arguments), must be a merge
  field of the catalogue (`letters.fields.catalogue`) — checked when the template is saved, by walking the
  compiled node list, so a mistake is reported with its name and line;
- at render time the data are plain dicts, tuples, strings, numbers and dates built by
  `letters.fields.data` (never model instances), wrapped so that not even dict methods are reachable.
  A variable that cannot be resolved raises instead of printing nothing;
- text in quotes (`{{ "…" }}`, `{% firstof "…" %}`, a filter's argument) is never escaped by
  Django, so one containing markup is refused when the template is saved (with its line);
- whatever the template prints is then sanitised (`sanitise`, nh3) to the same allow-list of
  tags and classes: no links, styles, images, objects or attachments can reach a letter, even
  from a template saved before these checks. The HTML this code builds from the school's
  settings and data (the logo, the address block, the marks table) is set aside before the
  sanitiser and put back after it."""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from django.template import Context, Engine, Library, TemplateSyntaxError
from django.template import defaultfilters as builtin_filters
from django.template import defaulttags as builtin_tags
from django.template.base import FilterExpression, Lexer, Node, TokenType, Variable, VariableNode
from django.template.defaulttags import CommentNode, FirstOfNode, ForNode, IfNode, SpacelessNode, TemplateLiteral
from django.template.smartif import TokenBase
from django.utils.safestring import SafeData

register = Library()

TAGS = {"if": "if", "for": "for", "comment": "comment", "firstof": "firstof", "spaceless": "spaceless"}
# The closing and intermediate words of those tags, accepted by the pre-scan.
TAG_WORDS = set(TAGS) | {"elif", "else", "endif", "empty", "endfor", "endcomment", "endspaceless"}
FILTERS = [
    "add",
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "divisibleby",
    "first",
    "floatformat",
    "join",
    "last",
    "length",
    "linebreaks",
    "linebreaksbr",
    "lower",
    "pluralize",
    "title",
    "truncatewords",
    "upper",
    "wordcount",
    "yesno",
]
LOOP_FIELDS = {"counter", "counter0", "revcounter", "revcounter0", "first", "last"}

for _name in TAGS:
    register.tag(_name, builtin_tags.register.tags[_name])
for _name in FILTERS:
    register.filter(_name, builtin_filters.register.filters[_name])


class DateText(str):
    """A date shown as words ("23 November 2026"), which the `date` filter can still reformat.

    A `str` so that templates print it as it is written (Django would otherwise localise a
    date to "23 Nov 2026"), carrying the date itself for `|date:"l j F"`."""

    def __new__(cls, day: dt.date, fmt: str = "j F Y"):
        from django.utils.dateformat import format as date_format

        text = super().__new__(cls, date_format(day, fmt))
        text.date, text.fmt = day, fmt
        return text


@register.filter("date", expects_localtime=True, is_safe=False)
def date_filter(value, arg=None):
    return builtin_filters.date(value.date if isinstance(value, DateText) else value, arg)


@register.filter("time", expects_localtime=True, is_safe=False)
def time_filter(value, arg=None):
    return builtin_filters.time(value, arg)


class Record(dict):
    """Merge data as the template sees it: keys are reachable, dict methods are not (a template
    calling `{{ pupil.clear }}` or `{{ pupil.items }}` finds nothing)."""

    def __getattribute__(self, name):
        if name.startswith("__") and name.endswith("__"):
            return super().__getattribute__(name)
        raise AttributeError(name)

    def __dir__(self):
        return []


def freeze(value):
    """Plain data → Records and tuples, all the way down."""
    if isinstance(value, dict):
        return Record({k: freeze(v) for k, v in dict.items(value)})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


class SandboxError(Exception):
    """Why a template cannot be saved or rendered: the message, the field and line if known."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None, part: str | None = None):
        self.message, self.field, self.line, self.part = message, field, line, part
        super().__init__(message)


class _RaiseOnInvalid(str):
    """`string_if_invalid` that raises: a field the data lack is an error, never a blank."""

    def __contains__(self, item):
        return item == "%s"

    def __mod__(self, variable):
        raise SandboxError(f'The merge field "{variable}" has no value for this letter.', field=str(variable))


class SandboxEngine(Engine):
    default_builtins: list[str] = []


@lru_cache(maxsize=1)
def engine() -> SandboxEngine:
    sandbox = SandboxEngine(
        loaders=[],
        libraries={},
        builtins=[],
        autoescape=True,
        debug=True,  # only to annotate syntax errors with their line
        string_if_invalid=_RaiseOnInvalid("[invalid]"),
    )
    sandbox.template_builtins = [register]
    return sandbox


# --- validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """What validation needs from the merge-field catalogue: the field names, and for list
    fields the names their items have."""

    fields: frozenset[str]
    lists: dict[str, frozenset[str]]


_BLOCK_WORD = re.compile(r"^\s*(\S+)")


def _line_of(source: str, position: int) -> int:
    return source.count("\n", 0, position) + 1


def _prescan(source: str, part: str | None) -> None:
    """Refuse any tag outside the whitelist by name, before Django's parser would say
    'Invalid block tag' (and before `{% load %}` could mean anything)."""
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        match = _BLOCK_WORD.match(token.contents)
        word = match.group(1) if match else ""
        if word not in TAG_WORDS:
            raise SandboxError(
                f"The tag {{% {word} %}} is not allowed in letters (line {token.lineno}). "
                f"Letters may use {{% if %}}, {{% for %}}, {{% firstof %}} and {{% comment %}} only.",
                line=token.lineno,
                part=part,
            )


def compile_template(source: str, *, part: str | None = None):
    """A compiled sandbox template, or SandboxError with the line of the mistake."""
    _prescan(source, part)
    try:
        return engine().from_string(source)
    except TemplateSyntaxError as error:
        info = getattr(error, "template_debug", None) or {}
        line = info.get("line")
        message = str(error)
        filter_match = re.search(r"Invalid filter: '([^']+)'", message)
        if filter_match:
            message = f"The filter |{filter_match.group(1)} is not allowed in letters"
        where = f" (line {line})" if line else ""
        raise SandboxError(f"{message}{where}.".replace("..", "."), line=line, part=part)


def _expression_variables(expression: FilterExpression):
    if isinstance(expression.var, Variable) and expression.var.lookups is not None:
        yield expression.var
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups is not None:
                yield arg


def _literals(expression: FilterExpression):
    """The text in quotes in an expression: its value and its filters' arguments."""
    if isinstance(expression.var, str):
        yield expression.var
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if not is_lookup and isinstance(arg, str):
                yield arg


def _check_literals(expression: FilterExpression, line: int | None, part: str | None) -> None:
    """Django never escapes text in quotes, so markup there would reach the letter as it is."""
    for text in _literals(expression):
        if "<" in text or ">" in text:
            shown = text if len(text) <= 40 else text[:39] + "…"
            where = f" on line {line}" if line else ""
            raise SandboxError(
                f"The text in quotes{where} contains HTML (“{shown}”). Text inside {{{{ }}}} or {{% %}} is "
                "printed as it is written, so it cannot contain HTML: write the HTML outside the braces.",
                line=line,
                part=part,
            )


def _condition_expressions(condition):
    if isinstance(condition, TemplateLiteral):
        yield condition.value
    elif isinstance(condition, TokenBase):
        for side in (getattr(condition, "first", None), getattr(condition, "second", None)):
            if side is not None:
                yield from _condition_expressions(side)


@dataclass
class Usage:
    """The fields a template uses, and those it prints without first testing them with
    {% if %} (a letter cannot be produced when one of those has no value)."""

    fields: set[str]
    required: set[str]


def used_fields(template, catalogue: Catalogue, *, part: str | None = None, literals: bool = True) -> Usage:
    """Every catalogue field the compiled template uses; SandboxError naming the first
    unknown one (with its line) otherwise."""
    usage = Usage(set(), set())

    def check_literals(expression: FilterExpression, line: int | None) -> None:
        if literals:
            _check_literals(expression, line, part)

    def check(variable: Variable, line: int | None, scope: dict[str, str], guarded=None) -> str | None:
        lookups = variable.lookups
        head, rest = lookups[0], lookups[1:]
        if lookups in (("True",), ("False",), ("None",)):
            return None
        if head == "forloop" and scope and len(rest) == 1 and rest[0] in LOOP_FIELDS:
            return None
        if head in scope:
            item_fields = catalogue.lists[scope[head]]
            if not rest or ".".join(rest) in item_fields:
                usage.fields.add(scope[head])
                return None
            name = f"{scope[head]} item {'.'.join(rest)}"
        else:
            name = ".".join(lookups)
            if name in catalogue.fields:
                usage.fields.add(name)
                if guarded is not None and name not in guarded:
                    usage.required.add(name)
                return name
        where = f" on line {line}" if line else ""
        raise SandboxError(f'Unknown merge field "{name}"{where}.', field=name, line=line, part=part)

    def walk(nodelist, scope: dict[str, str], guarded: frozenset[str]) -> None:
        for node in nodelist:
            token = getattr(node, "token", None)
            line = token.lineno if token is not None else None
            if isinstance(node, VariableNode):
                expression = node.filter_expression
                check_literals(expression, line)
                # `|default:` supplies its own value, so the field may be empty
                defaulted = any(func.__name__ in ("default", "default_if_none") for func, _ in expression.filters)
                for variable in _expression_variables(expression):
                    check(variable, line, scope, None if defaulted else guarded)
            elif isinstance(node, IfNode):
                tested: set[str] = set()
                for condition, body in node.conditions_nodelists:
                    if condition is not None:
                        for expression in _condition_expressions(condition):
                            check_literals(expression, line)
                            for variable in _expression_variables(expression):
                                name = check(variable, line, scope)
                                if name:
                                    tested.add(name)
                    walk(body, scope, guarded | tested)
            elif isinstance(node, ForNode):
                sequence = node.sequence
                variable = sequence.var if isinstance(sequence.var, Variable) else None
                name = ".".join(variable.lookups) if variable is not None and variable.lookups else None
                if name not in catalogue.lists or sequence.filters or len(node.loopvars) != 1:
                    shown = name or str(sequence.token)
                    where = f" on line {line}" if line else ""
                    raise SandboxError(
                        f'{{% for %}} can only go through a list field (such as "marks.rows"), one item at a time; '
                        f'"{shown}"{where} is not one.',
                        field=name,
                        line=line,
                        part=part,
                    )
                usage.fields.add(name)
                walk(node.nodelist_loop, {**scope, node.loopvars[0]: name}, guarded)
                walk(node.nodelist_empty, scope, guarded)
            elif isinstance(node, FirstOfNode):
                # the first non-empty one is printed: none of them is required alone
                for expression in node.vars:
                    check_literals(expression, line)
                    for variable in _expression_variables(expression):
                        check(variable, line, scope)
            elif isinstance(node, SpacelessNode):
                walk(node.nodelist, scope, guarded)
            elif isinstance(node, CommentNode) or type(node).__name__ == "TextNode":
                continue
            elif isinstance(node, Node):
                raise SandboxError(f"This template uses something letters cannot ({type(node).__name__}).", part=part)

    walk(template.nodelist, {}, frozenset())
    return usage


# The HTML staff may write around the merge fields: structure and emphasis, no attributes
# but `class` (one of the letter styles in BODY_CLASSES) and table spans, so nothing can load,
# link, script, restyle the letter or take the place of its letterhead or footer.
HTML_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "table", "thead", "tbody",
    "tr", "th", "td", "blockquote", "hr", "span", "div", "small", "sup", "sub",
}  # fmt: skip
HTML_ATTRIBUTES = {"class", "colspan", "rowspan"}
# The styles letter.css and certificate.css give a letter's text (not the letterhead's, the
# address window's or the footer's: `page-footer` text would replace the footer on every page).
BODY_CLASSES = {"highlight", "small", "name", "marks"}
_TEMPLATE_SYNTAX = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)


class _HTMLCheck(HTMLParser):
    def __init__(self, part):
        super().__init__(convert_charrefs=True)
        self.part = part

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        if tag not in HTML_TAGS:
            raise SandboxError(
                f"The HTML tag <{tag}> is not allowed in letters (line {line}).", line=line, part=self.part
            )
        for name, value in attrs:
            if name not in HTML_ATTRIBUTES:
                raise SandboxError(
                    f'The HTML attribute {name}="…" on <{tag}> is not allowed in letters (line {line}).',
                    line=line,
                    part=self.part,
                )
            unknown = sorted(set((value or "").split()) - BODY_CLASSES) if name == "class" else []
            if unknown:
                raise SandboxError(
                    f'The class "{unknown[0]}" on <{tag}> is not a letter style (line {line}). '
                    f"Letters may use {', '.join(sorted(BODY_CLASSES))}.",
                    line=line,
                    part=self.part,
                )

    handle_startendtag = handle_starttag

    def handle_pi(self, data):
        raise SandboxError("Processing instructions are not allowed in letters.", part=self.part)

    def handle_decl(self, decl):
        raise SandboxError("Declarations are not allowed in letters.", part=self.part)


def check_html(source: str, *, part: str | None = None) -> None:
    """Refuse HTML outside `HTML_TAGS`/`HTML_ATTRIBUTES` in the text staff wrote (merge fields
    are escaped when rendered, so only the literal text needs checking)."""
    text = _TEMPLATE_SYNTAX.sub(lambda m: "x" + "\n" * m.group(0).count("\n"), source)
    checker = _HTMLCheck(part)
    checker.feed(text)
    checker.close()


def validate(source: str, catalogue: Catalogue, *, part: str | None = None, literals: bool = True) -> Usage:
    """Compile and check `source` (tags, filters, fields, HTML, and with `literals` the text in
    quotes); returns the fields it uses."""
    template = compile_template(source, part=part)
    usage = used_fields(template, catalogue, part=part, literals=literals)
    check_html(source, part=part)
    return usage


_SPANS = {"colspan", "rowspan"}
_TOKEN = re.compile("\ue000(\\d+)\ue001")
_TOKEN_MARKS = re.compile("[\ue000\ue001]")


def sanitise(html: str) -> str:
    """The rendered text reduced to `HTML_TAGS`, table spans and `BODY_CLASSES`: no links, no
    styles, no images, objects, frames or attachments, no comments; tags the text opens are
    closed in it, so nothing can reach outside the letter's text box."""
    return nh3.clean(
        html,
        tags=HTML_TAGS,
        attributes={"td": _SPANS, "th": _SPANS},
        allowed_classes=dict.fromkeys(HTML_TAGS, BODY_CLASSES),
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def plain_text(html: str) -> str:
    """Rendered text as plain text on one line (a letter's heading and its e-mail subject, which
    the layout escapes once): no tags, entities turned back into characters."""
    return " ".join(html_module.unescape(nh3.clean(html, tags=set())).split())


def _set_aside(value, trusted: list[str]):
    """Plain data with each piece of HTML built by this code (a SafeString: the logo, the address
    block, the marks table) replaced by a token the sanitiser leaves alone."""
    if isinstance(value, SafeData) and isinstance(value, str):
        if not value:
            return value
        trusted.append(str(value))
        return f"\ue000{len(trusted) - 1}\ue001"
    if isinstance(value, dict):
        return {k: _set_aside(v, trusted) for k, v in dict.items(value)}
    if isinstance(value, (list, tuple)):
        return [_set_aside(v, trusted) for v in value]
    if type(value) is str and ("\ue000" in value or "\ue001" in value):
        return _TOKEN_MARKS.sub("", value)  # a token only ever comes from here
    return value


def render(template, data: dict) -> str:
    """Render a compiled sandbox template with plain data (see `freeze`), sanitised; the HTML
    built by this code from the school's settings and data is put back after the sanitiser."""
    trusted: list[str] = []
    output = template.render(Context(freeze(_set_aside(data, trusted)), autoescape=True))
    clean = sanitise(output)
    if trusted:
        clean = _TOKEN.sub(lambda m: trusted[int(m.group(1))] if int(m.group(1)) < len(trusted) else "", clean)
    return _TOKEN_MARKS.sub("", clean)
