"""django-q2 tasks of the automation: take nothing, safe to run twice (the firings are unique)."""

from automation.evaluator import automation_run


def run_automation() -> str:
    result = automation_run()
    return f"{result.events} events, {result.fired} firings, {result.failed} failed"
