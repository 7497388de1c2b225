class ChineseFirstMiddleware:
    """Serve Chinese unless the user chose English with the language switch.

    Django would otherwise follow the browser's Accept-Language, and an English-language
    browser on a government intranet would get an English portal nobody asked for. The
    switch sets the language cookie, which LocaleMiddleware still honours.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
