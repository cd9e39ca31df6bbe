"""The UPN check letter (RULES.md, "Data exchange"): 13 characters, the first computed from
the other twelve by the DfE's weighted sum modulo 23."""

import pytest
from django.core.exceptions import ValidationError

from registers.upn import LETTERS, check_letter, make_upn, upn_problem, validate_upn


def test_the_worked_example_is_valid():
    assert upn_problem("B801200005001") is None
    assert check_letter("801200005001") == "B"


def test_the_wrong_check_letter_is_refused_naming_the_right_one():
    problem = upn_problem("A801200005001")
    assert problem is not None and "wrong check letter" in problem and "start with B" in problem
    with pytest.raises(ValidationError):
        validate_upn("A801200005001")


def test_the_alphabet_has_23_letters_without_i_o_s():
    assert len(LETTERS) == 23 and not set("IOS") & set(LETTERS)


def test_weights_run_from_2_to_13():
    # A single 1 in position k (2..13) contributes k, so the check letter is LETTERS[k].
    for k in range(2, 14):
        body = ["0"] * 12
        body[k - 2] = "1"
        assert check_letter("".join(body)) == LETTERS[k % 23]


def test_sum_is_taken_modulo_23():
    # 9 * (2 + 3 + ... + 13) = 9 * 90 = 810 = 35 * 23 + 5
    assert check_letter("999999999999") == LETTERS[810 % 23] == "F"


@pytest.mark.parametrize("upn", ["B80120000500", "B8012000050011", ""])
def test_length_must_be_13(upn):
    assert f"has {len(upn)} characters" in upn_problem(upn)


@pytest.mark.parametrize(
    "upn",
    [
        "B80120000500-",  # punctuation
        "B8012000A5001",  # letter in the middle
        "B801200005 01",  # space
        "B80120000500I",  # I is not in the alphabet, even at the end
        "E80120000500٣",  # a non-ASCII digit (E would be right for a 3)
        "B8012000050²1",  # a superscript digit
    ],
)
def test_bad_characters_are_refused(upn):
    assert upn_problem(upn) is not None


@pytest.mark.parametrize("first", ["I", "O", "S", "1", "b"])
def test_first_character_must_be_a_check_letter(first):
    assert "check letter" in upn_problem(first + "801200005001")


def test_temporary_upn_with_a_letter_in_the_last_position():
    # The last letter's value is its index in the alphabet: A = 0, so ...00A scores as ...000.
    assert check_letter("80120000500A") == check_letter("801200005000")
    # Z is index 22: 22 * 13 = 286 more than A.
    body = "80120000500Z"
    expected = LETTERS[(93 - 13 + 22 * 13) % 23]
    assert check_letter(body) == expected
    assert upn_problem(expected + body) is None
    wrong = next(letter for letter in LETTERS if letter != expected)
    assert upn_problem(wrong + body) is not None


def test_make_upn_builds_valid_numbers():
    for serial in (0, 1, 57, 999):
        assert upn_problem(make_upn("801", "2000", 20, serial)) is None
