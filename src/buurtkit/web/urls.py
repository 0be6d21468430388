"""Routes of web's own pages: the home page, health checks, login and password reset, and under
``/<slug>/`` the dashboard, people, organisations, roles, API keys and the log.

The feature modules' routes live in their own ``pages/urls.py``; ``conf/urls.py`` puts all of
them together in the one ``web`` namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from buurtkit.web.views import (
    access,
    account,
    health,
    ops,
    organisations,
    pages,
    people,
)
from buurtkit.web.views.account import LoginView, PasswordResetView

community_urlpatterns = [
    path("", pages.community_home, name="community"),
    path("people/", people.person_list, name="people"),
    path("people/new/", people.person_create, name="person_create"),
    path("people/<int:person_id>/", people.person_detail, name="person"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:person_id>/consent/", people.person_consent, name="person_consent"),
    path("people/<int:person_id>/act/", people.act_on_behalf_start, name="act_start"),
    path("people/<int:person_id>/export.json", people.person_export, name="person_export"),
    path("people/<int:person_id>/anonymise/", people.person_anonymise, name="person_anonymise"),
    path("people/<int:person_id>/password/", people.person_password, name="person_password"),
    path("people/<int:person_id>/login/", people.person_give_login, name="person_give_login"),
    path("act/stop/", people.act_on_behalf_stop, name="act_stop"),
    path("me/export.json", pages.my_data_export, name="my_data_export"),
    path("organisations/", organisations.organisation_list, name="organisations"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path(
        "organisations/<int:organisation_id>/edit/",
        organisations.organisation_edit,
        name="organisation_edit",
    ),
    path("memberships/", access.membership_list, name="memberships"),
    path("memberships/new/", access.membership_create, name="membership_create"),
    path("memberships/<int:membership_id>/", access.membership_edit, name="membership_edit"),
    path("apikeys/", access.apikey_list, name="apikeys"),
    path("apikeys/<int:apikey_id>/revoke/", access.apikey_revoke, name="apikey_revoke"),
    path("audit/", access.audit_log, name="audit"),
]

root_urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("ops/jobs/", ops.jobs, name="ops_jobs"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/invitations/", account.invitations_mine, name="invitations"),
    path("accounts/invitations/<str:token>/", account.invitation_token, name="invitation_token"),
    path(
        "accounts/password-reset/",
        PasswordResetView.as_view(
            template_name="web/account/password_reset.html",
            email_template_name="web/account/password_reset_email.txt",
            subject_template_name="web/account/password_reset_subject.txt",
            success_url=reverse_lazy("web:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="web/account/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/account/password_reset_confirm.html",
            success_url=reverse_lazy("web:login"),
        ),
        name="password_reset_confirm",
    ),
]
