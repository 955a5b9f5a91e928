"""A FHIR R4 API on the Belgian profiles (be-core, be.patient-care), mounted at /fhir/.

Another door to the same objects, through the same gate: every resource is read from
`Model.objects.visible_to(user)` or `policy.object_for`, and audited like a page's read.
The resource types are registered (`registry.register`) by `resources/`; the URLs, the
CapabilityStatement and the access tests are generated from that registry. docs/fhir.md
says how a system registers, gets a token and calls it.
"""
