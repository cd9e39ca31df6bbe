"""An SVG logo checked against an allow-list before it is stored.

The logo is drawn at the top of every letter (by WeasyPrint, and in the browser's preview), so an
SVG may hold drawing and nothing else: the elements and attributes below, links only to a part
of the same file (`href="#id"`), `url(#id)` and no other URL in attributes and styles. Anything
else — a script, `foreignObject`, an `<image>` or `<use>` of another file, an event handler
(`onload=`), a `javascript:`/`data:`/`http:` reference, an external stylesheet or font, a DTD or
entity — refuses the whole file, naming what was found. The metadata drawing programs write
(Inkscape's and Sodipodi's elements and attributes, RDF/Dublin Core) is allowed: nothing draws
or loads it."""

from __future__ import annotations

import re

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
# Namespaces of editors' metadata, which no renderer draws: any element or attribute in them.
METADATA = {
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
}

ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "style", "switch",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feFlood", "feComposite",
    "feMerge", "feMergeNode", "feMorphology",
}  # fmt: skip

ATTRIBUTES = {
    "id", "class", "style", "transform", "version", "baseProfile", "viewBox", "preserveAspectRatio",
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
    "d", "points", "pathLength", "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset",
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
    "color", "display", "visibility", "overflow", "clip", "clip-path", "clip-rule", "mask", "filter",
    "font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch",
    "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "text-decoration", "writing-mode", "direction", "unicode-bidi",
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "stop-color", "stop-opacity",
    "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
    "marker-start", "marker-mid", "marker-end", "filterUnits", "primitiveUnits", "in", "in2",
    "result", "stdDeviation", "mode", "values", "type", "operator", "k1", "k2", "k3", "k4",
    "flood-color", "flood-opacity", "radius", "color-interpolation-filters", "enable-background",
    "shape-rendering", "text-rendering", "image-rendering", "color-rendering", "isolation",
    "mix-blend-mode", "vector-effect", "paint-order", "media", "space", "href",
}  # fmt: skip

_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^)'\"\s]*)", re.I)
_FORBIDDEN_TEXT = re.compile(r"@import|javascript:|expression\s*\(|behavior\s*:|-moz-binding", re.I)


class SvgRefused(ValueError):
    """Why an SVG logo cannot be used, in words for the person uploading it."""


def _split(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return namespace, local
    return "", name


def _check_value(text: str, where: str) -> None:
    """A value or a style may refer only to a part of the same file: url(#id)."""
    if _FORBIDDEN_TEXT.search(text):
        raise SvgRefused(f"{where} contains “{_FORBIDDEN_TEXT.search(text).group(0)}”.")
    for target in _URL.findall(text):
        if not target.startswith("#"):
            raise SvgRefused(f"{where} refers to another file or address (url({target[:60]})).")


def check_svg(content: bytes) -> None:
    """SvgRefused naming the first thing outside the allow-list; nothing if the SVG is only drawing."""
    if re.search(rb"<\?xml-stylesheet", content, re.I):
        raise SvgRefused("It links a stylesheet (<?xml-stylesheet?>), which a logo may not do.")
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SvgRefused("It declares a DTD or entities, which a logo does not need.")
    except Exception as error:  # the XML parser's own errors
        raise SvgRefused(f"It is not well-formed XML ({error}).")
    if _split(root.tag) != (SVG, "svg"):
        raise SvgRefused("Its outermost element is not <svg> in the SVG namespace.")
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        namespace, tag = _split(element.tag)
        if namespace in METADATA:
            continue
        if namespace != SVG or tag not in ELEMENTS:
            raise SvgRefused(f"It contains a <{tag}> element, which a logo may not contain.")
        for name, value in element.attrib.items():
            attr_namespace, attr = _split(name)
            if attr_namespace in METADATA:
                continue
            if attr.lower().startswith("on"):
                raise SvgRefused(f"<{tag}> has an event handler ({attr}), which a logo may not have.")
            if attr_namespace not in ("", XLINK, XML) or attr not in ATTRIBUTES:
                raise SvgRefused(f"<{tag}> has the attribute “{attr}”, which a logo may not have.")
            if attr == "href" and not value.strip().startswith("#"):
                raise SvgRefused(f"<{tag}> links to another file or address ({value.strip()[:60]}).")
            _check_value(value, f"The {attr} of <{tag}>")
        if tag == "style":
            _check_value(element.text or "", "Its stylesheet")
