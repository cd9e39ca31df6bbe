"""The SVG logo is checked against an allow-list (issue 16): drawing only; no script, no
foreignObject, no event handler, no reference outside the file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from letters.errors import LetterError
from letters.models import Letterhead
from letters.services.letterhead import save_letterhead
from letters.svg_logo import SvgRefused, check_svg

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40"'


def svg(inner: str, attrs: str = "") -> bytes:
    return f"{HEAD}{attrs}>{inner}</svg>".encode()


ATTACKS = {
    "script": (svg("<script>alert(1)</script>"), "<script>"),
    "foreignObject": (svg('<foreignObject><iframe src="https://x.example"/></foreignObject>'), "<foreignObject>"),
    "onload on the root": (svg("<rect/>", ' onload="alert(1)"'), "event handler (onload)"),
    "onclick on a shape": (svg('<rect width="1" onclick="alert(1)"/>'), "event handler (onclick)"),
    "image from the web, single quotes": (svg("<image href='https://x.example/t.png'/>"), "<image>"),
    "use of another file": (svg('<use xlink:href="https://x.example/s.svg#a"/>'), "links to another file"),
    "use of a data: URL": (svg('<use href="data:image/svg+xml;base64,PHN2Zz4="/>'), "links to another file"),
    "link": (svg('<a href="javascript:alert(1)"><rect/></a>'), "<a>"),
    "animation setting a handler": (svg('<set attributeName="onmouseover" to="alert(1)"/>'), "<set>"),
    "animation rewriting a link": (svg('<animate attributeName="href" to="https://x.example"/>'), "<animate>"),
    "stylesheet import": (svg("<style>@import url(https://x.example/a.css);</style>"), "@import"),
    "font from the web": (
        svg("<style>@font-face { src: url(https://x.example/f.woff) }</style>"),
        "refers to another file",
    ),
    "style attribute fetching": (svg('<rect style="fill:url(https://x.example/p)"/>'), "refers to another file"),
    "paint from another file": (svg('<rect fill="url(other.svg#g)"/>'), "refers to another file"),
    "filter image": (svg('<filter><feImage href="https://x.example/a.png"/></filter>'), "<feImage>"),
    "unknown attribute": (svg('<rect formaction="x"/>'), "“formaction”"),
    "HTML namespace": (svg('<div xmlns="http://www.w3.org/1999/xhtml">x</div>'), "<div>"),
    "entity": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>' + svg("<text>&x;</text>"), "DTD"),
    "external stylesheet": (b'<?xml-stylesheet href="https://x.example/a.css"?>' + svg("<rect/>"), "stylesheet"),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_an_svg_outside_the_allow_list_is_refused_naming_what_was_found(name):
    content, named = ATTACKS[name]
    with pytest.raises(SvgRefused) as caught:
        check_svg(content)
    assert named in str(caught.value)


def test_the_letterhead_refuses_such_a_logo_with_the_reason(school):
    content, _ = ATTACKS["foreignObject"]
    with pytest.raises(LetterError) as caught:
        save_letterhead(school=school, user=None, logo=SimpleUploadedFile("crest.svg", content))
    assert caught.value.field == "logo"
    assert caught.value.message.startswith("This SVG logo cannot be used: It contains a <foreignObject> element")
    assert not Letterhead.for_school(school).logo


INKSCAPE = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:svg="http://www.w3.org/2000/svg"
   xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   width="60mm" height="60mm" viewBox="0 0 60 60" version="1.1" id="svg8" sodipodi:docname="crest.svg">
  <defs id="defs2">
    <linearGradient id="g"><stop offset="0" style="stop-color:#1d4f91;stop-opacity:1"/></linearGradient>
    <clipPath id="c"><circle cx="30" cy="30" r="28"/></clipPath>
  </defs>
  <sodipodi:namedview id="base" inkscape:zoom="1.4" />
  <metadata id="metadata5"><rdf:RDF><cc:Work rdf:about=""><dc:format>image/svg+xml</dc:format>
    <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage" /></cc:Work></rdf:RDF></metadata>
  <style>.gold { fill: #c9a227 } .shield { fill: url(#g) }</style>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1" clip-path="url(#c)">
    <path class="shield" d="M 5,5 H 55 V 35 L 30,55 5,35 Z" style="fill:url(#g);stroke:#000;stroke-width:0.5"/>
    <use xlink:href="#star" x="10" y="10"/>
    <symbol id="star"><polygon class="gold" points="5,0 6,4 10,4 7,6 8,10 5,7 2,10 3,6 0,4 4,4"/></symbol>
    <text x="30" y="48" text-anchor="middle" font-family="DejaVu Serif" font-size="6"
      xml:space="preserve"><tspan>Oakfield</tspan></text>
  </g>
</svg>"""


def test_a_logo_from_a_drawing_program_is_accepted(school):
    check_svg(INKSCAPE)
    head = save_letterhead(school=school, user=None, logo=SimpleUploadedFile("crest.svg", INKSCAPE))
    assert head.logo_content_type == "image/svg+xml"
