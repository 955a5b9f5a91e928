"""Two portable SQL functions the computation groups by: whole hours and whole days
between two timestamps, from epoch seconds on SQLite and PostgreSQL alike."""

from django.db.models import Func, IntegerField


class HoursBetween(Func):
    """floor((end - start) in hours); NULL when either is NULL."""

    output_field = IntegerField()
    divisor = 3600

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)  # the SQL reads "end - start"

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        template = ("CAST(FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / "
                    f"{self.divisor}) AS integer)")
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ",
                              **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Whole seconds first, then integer division: julianday's floats make 10 h 9.99.
        template = ("(CAST(ROUND((julianday(%(expressions)s)) * 86400) AS integer) / "
                    f"{self.divisor})")
        return super().as_sql(compiler, connection, template=template,
                              arg_joiner=") - julianday(", **extra)


class DaysBetween(HoursBetween):
    divisor = 86400
