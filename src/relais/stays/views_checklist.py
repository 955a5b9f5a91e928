"""A hospital adapts its discharge checklist; the stay's plan gets its own items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access.policy import Action
from relais.accounts import rules as account_rules
from relais.accounts.models import OrganisationType
from relais.stays import checklist, services
from relais.stays.forms import PlanItemForm, TemplateItemForm
from relais.stays.models import Domain, TemplateItem
from relais.stays.views import _staff_stay


def _managed_hospital(request, pk):
    hospital = account_rules.organisation_for(request.user, pk)
    if hospital.type != OrganisationType.HOSPITAL or not account_rules.may_on_organisation(
            request.user, hospital, Action.CHANGE):
        raise Http404
    return hospital


@login_required
def checklist_template(request, pk):
    """The hospital's managers see the checklist every new plan starts from, and adapt it."""
    hospital = _managed_hospital(request, pk)
    template = hospital.checklist_templates.first()
    form = TemplateItemForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "adopt" and template is None:
            checklist.adopt_default(hospital, actor=request.user)
            messages.success(request, _("Your hospital now has its own checklist."))
        elif action == "add" and template is not None and form.is_valid():
            checklist.add_template_item(template, actor=request.user, **form.cleaned_data)
            messages.success(request, _("The item is added; new plans will have it."))
        elif action != "add":
            raise Http404
        else:
            return render(request, "stays/checklist_template.html",
                          _template_context(hospital, template, form))
        return redirect("stays:checklist_template", hospital.pk)
    return render(request, "stays/checklist_template.html",
                  _template_context(hospital, template, form))


def _template_context(hospital, template, form) -> dict:
    rows = list(template.items.all()) if template else checklist.template_rows(hospital)
    return {"hospital": hospital, "template": template, "form": form,
            "rows": [(label, [r for r in rows if _domain(r) == value])
                     for value, label in Domain.choices]}


def _domain(row) -> str:
    return row.domain if isinstance(row, TemplateItem) else row["domain"]


@login_required
@require_POST
def template_item_remove(request, pk):
    item = TemplateItem.objects.filter(pk=pk).select_related("template").first()
    if item is None:
        raise Http404
    hospital = _managed_hospital(request, item.template.organisation_id)
    checklist.remove_template_item(item, actor=request.user)
    return redirect("stays:checklist_template", hospital.pk)


@login_required
@require_POST
def plan_item_add(request, pk):
    stay = _staff_stay(request, pk)
    if not stay.is_open:
        raise Http404
    form = PlanItemForm(request.POST)
    if form.is_valid():
        services.add_plan_item(stay, actor=request.user, **form.cleaned_data)
    else:
        messages.error(request, _("Write what needs doing, and choose its domain."))
    return redirect(reverse("stays:stay_detail", args=[stay.pk]) + "#plan")
