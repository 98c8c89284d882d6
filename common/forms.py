from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """Every field renders through one component that carries its label, help text and errors."""

    field_template_name = "components/field.html"
