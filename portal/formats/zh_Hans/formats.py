# Numbers in the Chinese pages as Chinese reports print them: 1,234,567.89 (Django's
# zh_Hans has no thousands separator). The other formats are Django's.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
