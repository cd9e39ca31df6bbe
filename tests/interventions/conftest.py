"""The interventions tests run on the school and people of tests/conftest.py, on a day of the
real 2025/26 calendar."""

import datetime as dt

D = dt.date
ON = D(2026, 3, 20)  # a Friday in the spring term of the real 2025/26 calendar
