import datetime


class MonthConverter:
    """``2014-06`` in a URL ↔ ``date(2014, 6, 1)``."""

    regex = r"\d{4}-(0[1-9]|1[0-2])"

    def to_python(self, value: str) -> datetime.date:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)

    def to_url(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"
