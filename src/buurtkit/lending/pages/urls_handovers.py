"""Routes of the counter's pages under ``/<slug>/lending/``: hand-overs, loans and the
agreement texts residents sign."""

from django.urls import path

from buurtkit.lending.pages import views_agreements
from buurtkit.lending.pages import views_handovers as views

community_urlpatterns = [
    path("lending/counter/", views.counter, name="lending_counter"),
    path("lending/handovers/<int:handover_id>/", views.handover_detail, name="lending_handover"),
    path(
        "lending/handovers/<int:handover_id>/agreement.pdf",
        views.handover_pdf,
        name="lending_handover_pdf",
    ),
    path(
        "lending/handovers/<int:handover_id>/email/",
        views.handover_email,
        name="lending_handover_email",
    ),
    path("lending/loans/", views.loans, name="lending_loans"),
    path("lending/agreements/", views_agreements.agreement_texts, name="lending_agreement_texts"),
    *(
        path(
            f"lending/loans/<int:loan_id>/{action}/",
            views.loan_action,
            {"action": action},
            name=f"lending_loan_{action}",
        )
        for action in ("extend", "return", "lost")
    ),
]
root_urlpatterns: list = []
