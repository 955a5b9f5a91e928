"""Pages of the follow-up protocols: the list, one version, editing (a new version) and
adapting one (usually the default) for an organisation or a care zone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from relais.access import policy
from relais.access.policy import Action
from relais.followup import protocols, rules
from relais.followup.forms_protocols import ProtocolForm, StepFormSet, step_initial
from relais.followup.models import Protocol


@login_required
def protocol_list(request):
    if not request.user.is_professional:  # as each protocol's page (rules.protocol_for)
        raise Http404
    current = policy.visible(request.user, Protocol.objects.select_related(
        "care_zone", "organisation")).filter(retired_at__isnull=True)
    rights = rules.protocol_rights(request.user)
    organisations, zones = rules.protocol_owners(request.user)
    return render(request, "followup/protocol_list.html", {
        "protocols": [(protocol, rights.may_edit(protocol)) for protocol in current],
        "default": next((p for p in current if p.family == protocols.DEFAULT_FAMILY), None),
        "may_adapt": bool(organisations or zones)})


@login_required
def protocol_detail(request, pk):
    protocol = rules.protocol_for(request.user, pk)
    organisations, zones = rules.protocol_owners(request.user)
    return render(request, "followup/protocol_detail.html", {
        "protocol": protocol, "steps": protocol.steps.all(),
        "versions": Protocol.objects.filter(family=protocol.family),
        "may_edit": (protocol.retired_at is None
                     and rules.protocol_rights(request.user).may_edit(protocol)),
        "may_adapt": bool(organisations or zones)})


@login_required
def protocol_edit(request, pk):
    protocol = rules.protocol_for(request.user, pk, Action.CHANGE)
    if protocol.retired_at is not None and request.method != "POST":  # edit the newest
        newest = Protocol.objects.filter(family=protocol.family, retired_at__isnull=True).first()
        return redirect("followup:protocol_edit" if newest else "followup:protocol_detail",
                        (newest or protocol).pk)
    form = ProtocolForm(request.POST or None, initial={
        "name": protocols.shown(protocol.name),
        **{field: getattr(protocol, field) for field in protocols.APPLIES_TO}})
    steps = StepFormSet(request.POST or None, initial=step_initial(protocol), prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        try:
            successor = protocols.new_version(
                protocol, steps=steps.steps(), actor=request.user,
                name=form.cleaned_data["name"], applies_to=form.applies_to())
        except ValidationError as error:
            _add_errors(form, error)
            status = 409 if protocol.retired_at or _was_replaced(protocol) else 200
            return _form_page(request, form, steps, protocol, status=status)
        messages.success(request, _("Saved as a new version. Follow-ups already running keep "
                                    "the version they started with."))
        return redirect("followup:protocol_detail", successor.pk)
    return _form_page(request, form, steps, protocol)


@login_required
def protocol_adapt(request, pk):
    source = rules.protocol_for(request.user, pk)
    organisations, zones = rules.protocol_owners(request.user)
    if not (organisations or zones):
        raise PermissionDenied
    owners = ([(f"org-{o.pk}", o.name) for o in organisations]
              + [(f"zone-{z.pk}", _("Care zone %(zone)s") % {"zone": z.name}) for z in zones])
    form = ProtocolForm(request.POST or None, owners=owners, initial={
        "name": _adapted_name(source),
        **{field: getattr(source, field) for field in protocols.APPLIES_TO}})
    steps = StepFormSet(request.POST or None, initial=step_initial(source), prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        owner = _owner(form.cleaned_data["owner"], organisations, zones)
        try:
            protocol = protocols.adapt_protocol(
                source, steps=steps.steps(), actor=request.user,
                name=form.cleaned_data["name"], applies_to=form.applies_to(), **owner)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your protocol is saved. The next discharges it "
                                        "applies to follow it."))
            return redirect("followup:protocol_detail", protocol.pk)
    return _form_page(request, form, steps, source, adapting=True)


def _adapted_name(source) -> str:
    if source.family == protocols.DEFAULT_FAMILY:
        return _("After discharge")
    return source.name


def _owner(choice: str, organisations, zones) -> dict:
    # The choice is one of the form's, built from these same lists.
    kind, pk = choice.split("-")
    if kind == "org":
        return {"organisation": next(o for o in organisations if str(o.pk) == pk)}
    return {"care_zone": next(z for z in zones if str(z.pk) == pk)}


def _was_replaced(protocol) -> bool:
    return Protocol.objects.filter(pk=protocol.pk, retired_at__isnull=False).exists()


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _form_page(request, form, steps, protocol, *, adapting=False, status=200):
    return render(request, "followup/protocol_form.html", {
        "form": form, "steps": steps, "protocol": protocol, "adapting": adapting},
        status=status)
