from django.template.response import TemplateResponse


def customers_list(request):
    return TemplateResponse(request, "base.html", {})
