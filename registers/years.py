"""National curriculum years, as the product stores and names them: one place for the label a
person reads and the number the database sorts by.

Stored as a small integer so that ordering, filters and ranges work: Nursery first (N1 = -2,
N2 = -1), Reception 0, Years 1–14, and pupils not following the national curriculum (MIS
code `X`) after them all."""

NURSERY_1, NURSERY_2, RECEPTION = -2, -1, 0
NOT_FOLLOWING = 99  # MIS code X: not following the national curriculum


def year_label(year: int | None) -> str:
    if year is None:
        return "No year"
    if year == RECEPTION:
        return "Reception"
    if year == NURSERY_2:
        return "Nursery 2"
    if year <= NURSERY_1:
        return "Nursery 1"
    if year == NOT_FOLLOWING:
        return "Not following the national curriculum"
    return f"Year {year}"
