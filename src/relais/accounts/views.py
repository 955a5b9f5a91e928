"""Login, two-factor, profile, organisations, wards and members. Views stay thin: they
load through relais.access.policy, call a service, and render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from relais.access import policy
from relais.access.policy import Action
from relais.accounts import rules as account_rules
from relais.accounts import sections, services, tasks, twofactor
from relais.accounts.forms import (
    AddMemberForm,
    LoginForm,
    OrganisationForm,
    ProfileForm,
    TokenForm,
    WardForm,
)
from relais.accounts.models import Function, Organisation, OrganisationType, Ward
from relais.accounts.nextsteps import next_steps_for
from relais.audit import log as audit
from relais.audit.log import Actions
from relais.audit.models import Outcome
from relais.core.http import safe_next
from relais.core.models import CareZone, VersionConflict

PAGE_SIZE = 50


# --- home ----------------------------------------------------------------------------


def home(request):
    """Anonymous: what Relais is. Signed in: my organisations and my next steps."""
    if not request.user.is_authenticated:
        return render(request, "accounts/welcome.html")
    if not request.user.is_professional:
        return _portal_home(request)
    memberships = request.memberships
    functions = {m.function for m in memberships}
    context = {
        "memberships": memberships,
        "steps": next_steps_for(request.user, memberships),
        "is_admin": policy.is_platform_admin(request.user),
        "has_two_factor": twofactor.has_two_factor(request.user),
        "is_analyst": Function.CARE_ZONE_ANALYST in functions,
        # A professional's home is their work first (followup): a GP with five minutes.
        **sections.context_for("professional_home", request),
    }
    return render(request, "accounts/home.html", context)



def _portal_home(request):
    """The person or a relative: the people whose network they belong to."""
    return render(request, "accounts/portal_home.html",
                  sections.context_for("portal_home", request.user))


# --- signing in ------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        """A language picked just before logging in is the user's latest explicit choice."""
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in dict(settings.LANGUAGES) and chosen != user.language:
            services.update_profile(user, {"language": chosen}, actor=user)
        return response


@require_POST
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)




@login_required
def verify(request):
    """Second step of login: a TOTP or backup code."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(safe_next(request))
        audit.record(Actions.LOGIN_FAILED, actor=request.user, outcome=Outcome.FAILED,
                     detail={"step": "two_factor"})
        form.add_error("token", _("This code is not valid. Try the next code from your app."))
    return render(request, "accounts/verify.html", {"form": form, "next": safe_next(request)})


@login_required
def two_factor_setup(request):
    """Scan a QR code, confirm with one code, receive backup codes once."""
    if twofactor.has_two_factor(request.user):
        return redirect("accounts:security")
    device = twofactor.pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm_totp(device, form.cleaned_data["token"]):
            codes = twofactor.regenerate_backup_codes(request.user)
            otp_login(request, device)
            audit.record(Actions.TWO_FACTOR_ENABLED, actor=request.user, target=request.user)
            return render(request, "accounts/backup_codes.html", {"codes": codes})
        form.add_error("token", _("This code is not valid. Check the time on your phone."))
    context = {
        "form": form,
        "qr_code": twofactor.qr_code_data_uri(device),
        "secret": twofactor.readable_secret(device),
        "required": twofactor.is_required_for(request.user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
def security(request):
    context = {
        "has_two_factor": twofactor.has_two_factor(request.user),
        "required": twofactor.is_required_for(request.user),
    }
    return render(request, "accounts/security.html", context)


@login_required
@require_POST
def regenerate_backup_codes(request):
    if not twofactor.has_two_factor(request.user):
        return redirect("accounts:two_factor_setup")
    codes = twofactor.regenerate_backup_codes(request.user)
    audit.record(Actions.BACKUP_CODES_REGENERATED, actor=request.user, target=request.user)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@login_required
@require_POST
def disable_two_factor(request):
    if twofactor.is_required_for(request.user):
        messages.error(request, _("Two-factor authentication is required for your account."))
        return redirect("accounts:security")
    twofactor.remove_two_factor(request.user)
    audit.record(Actions.TWO_FACTOR_DISABLED, actor=request.user, target=request.user)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:security")


class PasswordResetView(auth_views.PasswordResetView):
    """Always the same answer, as fast, whether or not the address has an account: the
    worker sends the email (accounts.tasks.send_password_reset)."""

    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        audit.record(Actions.PASSWORD_RESET_REQUESTED, outcome=Outcome.SUCCESS,
                     detail={"email": email.lower()})
        tasks.send_password_reset.enqueue(
            email, domain=self.request.get_host(), use_https=self.request.is_secure(),
            language=translation.get_language())
        return redirect(self.success_url)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(Actions.PASSWORD_CHANGED, actor=form.user, target=form.user,
                     detail={"via": "reset_link"})
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(Actions.PASSWORD_CHANGED, actor=self.request.user,
                     target=self.request.user, detail={"via": "profile"})
        messages.success(self.request, _("Your password was changed."))
        return response


# --- profile ---------------------------------------------------------------------------


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_profile(request.user, form.cleaned_data, actor=request.user)
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    memberships = request.user.memberships.select_related("organisation").order_by(
        "-started_on"
    )
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})


@login_required
@require_POST
def switch_organisation(request):
    organisation = account_rules.organisation_for(request.user, request.POST.get("organisation"))
    if organisation.pk in policy.member_organisation_ids(request.user):
        request.session["acting_organisation_id"] = organisation.pk
    return redirect(safe_next(request))


# --- organisations ---------------------------------------------------------------------


@login_required
def organisation_list(request):
    organisations = Organisation.objects.visible_to(request.user).select_related(
        "municipality__care_zone"
    ).annotate(ward_count=Count("wards")).order_by("name")
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("type", "")
    zone = request.GET.get("zone", "")
    if query:
        organisations = organisations.filter(Q(name__icontains=query) | Q(kbo_number=query))
    if kind in OrganisationType.values:
        organisations = organisations.filter(type=kind)
    if zone:
        organisations = organisations.filter(municipality__care_zone__code=zone)
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "query": query, "type": kind, "zone": zone,
        "types": OrganisationType.choices, "zones": CareZone.objects.all(),
    }
    template = "accounts/partials/organisation_rows.html" if request.htmx else (
        "accounts/organisation_list.html"
    )
    return render(request, template, context)


@login_required
def organisation_detail(request, pk):
    organisation = account_rules.organisation_for(request.user, pk)
    memberships = policy.visible(
        request.user, organisation.memberships.active().select_related("user")
    )
    context = {
        "organisation": organisation,
        "wards": organisation.wards.all(),
        "memberships": memberships,
        "may_change": account_rules.may_on_organisation(request.user, organisation, Action.CHANGE),
        **sections.context_for("organisation", request.user, organisation),
    }
    return render(request, "accounts/organisation_detail.html", context)


@login_required
def organisation_edit(request, pk):
    organisation = account_rules.organisation_for(request.user, pk, Action.CHANGE)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                organisation, form.cleaned_data, actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except VersionConflict:
            return _conflict(request, organisation)
        messages.success(request, _("The organisation was saved."))
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html",
                  {"form": form, "organisation": organisation})


def _conflict(request, organisation):
    retry = reverse("accounts:organisation_edit", args=[organisation.pk])
    return render(request, "conflict.html", {"retry_url": retry}, status=409)


@login_required
def organisation_create(request):
    if not policy.is_platform_admin(request.user):
        audit.record(Actions.ACCESS_DENIED, actor=request.user, outcome=Outcome.DENIED,
                     target_type="accounts.organisation", detail={"action": "create"})
        raise Http404
    form = OrganisationForm(request.POST or None, initial={"version": 1})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        organisation = services.create_organisation(data, actor=request.user)
        messages.success(request, _("The organisation was registered."))
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form})


# --- wards -----------------------------------------------------------------------------


@login_required
def ward_add(request, pk):
    organisation = account_rules.organisation_for(request.user, pk, Action.CHANGE)
    if not organisation.is_hospital:
        raise Http404
    form = WardForm(request.POST or None, instance=Ward(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        services.add_ward(organisation, _ward_data(form), actor=request.user)
        messages.success(request, _("The ward was added."))
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/ward_form.html",
                  {"form": form, "organisation": organisation})


@login_required
def ward_edit(request, pk):
    ward = account_rules.ward_for(request.user, pk, Action.CHANGE)
    form = WardForm(request.POST or None, instance=ward)
    if request.method == "POST" and form.is_valid():
        services.update_ward(ward, _ward_data(form), actor=request.user)
        messages.success(request, _("The ward was saved."))
        return redirect("accounts:organisation_detail", pk=ward.organisation_id)
    return render(request, "accounts/ward_form.html",
                  {"form": form, "organisation": ward.organisation, "ward": ward})


def _ward_data(form) -> dict:
    return {name: form.cleaned_data[name] for name in services.WARD_FIELDS}


# --- members ---------------------------------------------------------------------------


@login_required
def member_add(request, pk):
    organisation = account_rules.organisation_for(request.user, pk, Action.MANAGE_MEMBERS)
    form = AddMemberForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        services.add_member(organisation, actor=request.user, request=request,
                            **form.cleaned_data)
        messages.success(request, _("The member was added. New accounts receive an email "
                                    "to choose a password."))
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/member_form.html",
                  {"form": form, "organisation": organisation})


@login_required
def member_end(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    membership = account_rules.membership_for(request.user, pk, Action.CHANGE)
    services.end_membership(membership, actor=request.user)
    messages.success(request, _("%(name)s no longer works here. Their history is kept.")
                     % {"name": membership.user})
    return redirect("accounts:organisation_detail", pk=membership.organisation_id)

