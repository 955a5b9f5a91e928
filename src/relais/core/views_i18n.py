from django.views.i18n import set_language as django_set_language


def set_language(request):
    """Django's language switch, remembered on the account of a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    wants_change = language in {"nl", "fr", "en"} and language != getattr(user, "language", None)
    if request.method == "POST" and user.is_authenticated and wants_change:
        user.language = language
        user.save(update_fields=["language"])
    return response
