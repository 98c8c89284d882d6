from django.conf import settings
from django.utils import translation
from rest_framework.authentication import TokenAuthentication


class TokenAuthenticationInUserLanguage(TokenAuthentication):
    """Token authentication that answers in the language the person chose for the interface.

    The language middleware runs before DRF knows who calls with a token, so it is set here.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        language = getattr(user, "preferred_language", "")
        if language in {code for code, _name in settings.LANGUAGES}:
            translation.activate(language)
        return user, token
