# Django's English formats, with the thousands separator shown whenever grouping is asked.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
