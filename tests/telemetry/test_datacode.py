"""The 18-digit dataCode: parsing, building and errors that name the segment."""

import dataclasses

import pytest

from telemetry.datacode import DataCode, DataCodeError

# Whole plant, secondary energy (02), electricity (3300), usage 0000.
ELECTRICITY = "000000000233000000"

SEGMENTS = {
    "process": "01",
    "process_unit": "02",
    "device": "1203",
    "energy_class": "01",
    "object_code": "0100",
    "usage": "0001",
}


def test_a_code_splits_into_its_six_segments():
    code = DataCode.parse("010212030101000001")
    assert dataclasses.asdict(code) == SEGMENTS
    assert str(code) == "010212030101000001"


def test_build_and_parse_round_trip():
    assert str(DataCode.build(**SEGMENTS)) == "010212030101000001"
    assert DataCode.parse(str(DataCode.build(**SEGMENTS))) == DataCode.build(**SEGMENTS)


@pytest.mark.parametrize(("energy_class", "expected"), [("02", "3300"), ("06", "3300")])
def test_energy_classes_expose_their_energy_type(energy_class, expected):
    code = DataCode.build(**{**SEGMENTS, "energy_class": energy_class, "object_code": "3300"})
    assert code.energy_type_code == expected


@pytest.mark.parametrize("energy_class", ["03", "04", "08", "10"])
def test_other_classes_have_no_energy_type(energy_class):
    assert DataCode.build(**{**SEGMENTS, "energy_class": energy_class}).energy_type_code is None


@pytest.mark.parametrize("text", ["00000000023300000", "0000000002330000000", "", None])
def test_wrong_length_is_blamed_on_the_whole_code(text):
    with pytest.raises(DataCodeError) as caught:
        DataCode.parse(text)
    assert caught.value.field == "dataCode"
    assert "18 位" in caught.value.reason


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("0A0000000233000000", "process"),
        ("00 00000002330000 ", "process_unit"),
        ("0000AB000233000000", "device"),
        ("000000000033000000", "energy_class"),
        ("000000001133000000", "energy_class"),
        ("00000000023３000000", "object_code"),  # a full-width digit
        ("00000000023300000x", "usage"),
    ],
)
def test_a_bad_segment_is_named(text, field):
    with pytest.raises(DataCodeError) as caught:
        DataCode.parse(text)
    assert caught.value.field == field


def test_energy_class_must_be_01_to_10():
    with pytest.raises(DataCodeError, match="01 至 10") as caught:
        DataCode.build(**{**SEGMENTS, "energy_class": "11"})
    assert caught.value.field == "energy_class"


@pytest.mark.parametrize(("segment", "value"), [("device", "123"), ("usage", 1), ("process", "")])
def test_build_checks_each_segment_length_and_digits(segment, value):
    with pytest.raises(DataCodeError, match="位数字") as caught:
        DataCode.build(**{**SEGMENTS, segment: value})
    assert caught.value.field == segment


def test_build_names_a_missing_or_unknown_segment():
    without_usage = {name: value for name, value in SEGMENTS.items() if name != "usage"}
    with pytest.raises(DataCodeError, match="数据用途编码") as caught:
        DataCode.build(**without_usage)
    assert caught.value.field == "usage"
    with pytest.raises(DataCodeError) as caught:
        DataCode.build(**SEGMENTS, unit="01")
    assert caught.value.field == "unit"


def test_a_coefficient_sub_variant_is_refused_with_its_parent_code():
    with pytest.raises(DataCodeError, match="上级编码 1500") as caught:
        DataCode.build(**{**SEGMENTS, "object_code": "1500-1"})
    assert caught.value.field == "object_code"


def test_codes_are_immutable_values():
    code = DataCode.parse(ELECTRICITY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        code.usage = "0001"  # type: ignore[misc]
    assert {code, DataCode.parse(ELECTRICITY)} == {code}
