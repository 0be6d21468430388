"""English as it is read in Belgium: day before month, a 24-hour clock.

Django's default English time ("8:13 a.m.") ends in a full stop, so a sentence that ends with a
time read "… 8:13 a.m.." (issue 17 item 17); and "12/07/2026" is 12 July to a Belgian reader.
Numbers stay English: 1,234.56.
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
