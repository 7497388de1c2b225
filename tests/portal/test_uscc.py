"""统一社会信用代码 (GB 32100-2015): the check character, the refusals and where they show."""

import pytest

from portal.forms import EnterpriseForm
from portal.uscc import ALPHABET, WEIGHTS, check_character, make_uscc, uscc_error
from tests.portal.factories import EnterpriseFactory, member_of


def independent_check_character(first17: str) -> str:
    """The standard's formula written out again, so the tests do not trust the module."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(ch) * (3**i % 31) for i, ch in enumerate(first17))
    return alphabet[(31 - total % 31) % 31]


# Published codes: the standard's own example and two well-known companies' codes.
REAL_CODES = ["91350100M000100Y43", "91110108551385082Q", "91440300708461136T"]


def test_the_alphabet_leaves_out_i_o_z_s_v():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


def test_the_weights_are_powers_of_three_modulo_31():
    assert tuple(3**i % 31 for i in range(17)) == WEIGHTS


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_published_codes(code):
    assert independent_check_character(code[:17]) == code[17]
    assert uscc_error(code) is None


@pytest.mark.parametrize(
    "prefix", ["91420100MA4K00001", "12420000441234567", "52420600000000000", "9142010017757043A"]
)
def test_it_accepts_codes_completed_by_make_uscc(prefix):
    code = make_uscc(prefix)
    assert code[17] == independent_check_character(prefix)
    assert uscc_error(code) is None


def test_a_lookalike_code_with_a_wrong_check_character_is_refused():
    # 91420100177570439X looks real, but its check character by the standard is R.
    assert independent_check_character("91420100177570439") == "R"
    assert check_character("91420100177570439") == "R"
    assert "R" in uscc_error("91420100177570439X")


@pytest.mark.parametrize("code", ["9142010017757043", "91420100177570439RR", ""])
def test_it_refuses_a_code_of_the_wrong_length(code):
    reason = uscc_error(code)
    assert "18" in reason
    assert str(len(code)) in reason


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_it_refuses_a_forbidden_letter_and_names_it(letter):
    code = "91420100MA4K0000" + letter + "1"
    reason = uscc_error(code)
    assert reason is not None
    assert letter in reason


def test_it_refuses_lowercase_letters_as_not_in_the_alphabet():
    assert uscc_error(make_uscc("91420100MA4K00001").lower()) is not None


def test_it_refuses_a_division_code_that_is_not_digits():
    code = make_uscc("91A20100177570439")
    reason = uscc_error(code)
    assert reason is not None
    assert "行政区划" in reason


def test_the_wrong_check_character_message_names_the_expected_one():
    good = make_uscc("91420100177570439")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    reason = uscc_error(wrong)
    assert "GB 32100-2015" in reason
    assert good[17] in reason


def enterprise_data(**overrides):
    data = {
        "name": "武汉测试钢铁有限公司",
        "uscc": make_uscc("91420100MA4K00001"),
        "region": "420100",
        "industry": "C31",
        "address": "湖北省武汉市青山区",
        "legal_representative": "张三",
        "contact_person": "李四",
        "contact_phone": "027-86000000",
        "contact_email": "energy@example.cn",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_enterprise_form_normalises_case_and_accepts_a_valid_code():
    code = make_uscc("91420100MA4K00001")
    form = EnterpriseForm(data=enterprise_data(uscc=code.lower()))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["uscc"] == code


@pytest.mark.django_db
def test_the_registration_page_refuses_a_bad_code_on_the_uscc_field(client):
    response = client.post("/accounts/register/", enterprise_data(uscc="91420100177570439X"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "uscc" in errors
    assert "R" in errors["uscc"][0]


@pytest.mark.django_db
def test_the_api_refuses_a_bad_code_naming_the_field(enterprise, member, api_client_for):
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"uscc": "91420100177570439X"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["uscc"]
    assert "R" in errors[0]["reason"]
    enterprise.refresh_from_db()
    assert enterprise.uscc != "91420100177570439X"


@pytest.mark.django_db
def test_the_api_accepts_a_valid_code_from_the_admin_of_a_pending_enterprise(api_client_for):
    # Before the registration is approved the enterprise may still correct its own code.
    enterprise = EnterpriseFactory(registration_status="pending")
    member = member_of(enterprise)
    code = make_uscc("91420100MA4K00009")
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"uscc": code}, format="json"
    )
    assert response.status_code == 200, response.json()
    enterprise.refresh_from_db()
    assert enterprise.uscc == code
