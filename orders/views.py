from django.template.response import TemplateResponse


def orders_list(request):
    return TemplateResponse(request, "base.html", {})
