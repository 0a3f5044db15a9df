from django.template.response import TemplateResponse


def channels_list(request):
    return TemplateResponse(request, "base.html", {})
