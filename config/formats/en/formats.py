"""English formats of the back office: Django's, with a 24-hour clock.

Django's English times read "5 p.m.", and a sentence that ends with one ends in "p.m.."; a back
office is read by the minute ("17:05"), as in the German interface.
"""

DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
TIME_FORMAT = "H:i"
