from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from buurtkit.web.views import (
    access,
    health,
    ledger,
    ledger_exchange,
    ledger_issuing,
    ledger_staff,
    organisations,
    pages,
    people,
    scan,
)
from buurtkit.web.views.account import LoginView, PasswordResetView

app_name = "web"

community = [
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
    path("people/<int:person_id>/lost-phone/", ledger.person_lost_phone, name="person_lost_phone"),
    path("pay/", ledger.pay_home, name="pay_home"),
    path("pay/to/", ledger.pay_to, name="pay_to"),
    path("pay/amount/", ledger.pay_amount, name="pay_amount"),
    path("pay/confirm/", ledger.pay_confirm, name="pay_confirm"),
    path("pay/receipt/<int:transfer_id>/", ledger.pay_receipt, name="pay_receipt"),
    path("pay/pin/", ledger.pay_pin, name="pay_pin"),
    path("pay/accounts/<int:account_id>/", ledger.ledger_account, name="ledger_account"),
    path("ledger/", ledger_staff.ledger_overview, name="ledger_overview"),
    path("ledger/issuing/", ledger_issuing.issuing_home, name="issuing"),
    path("ledger/issuing/reward/", ledger_issuing.issuing_reward, name="issuing_reward"),
    path("ledger/issuing/budget/", ledger_issuing.issuing_budget, name="issuing_budget"),
    path(
        "ledger/issuing/pending/<int:pending_id>/",
        ledger_issuing.issuing_decide,
        name="issuing_decide",
    ),
    path(
        "ledger/issuing/redemption/", ledger_issuing.issuing_redemption, name="issuing_redemption"
    ),
    path("ledger/payouts/<int:run_id>/", ledger_issuing.issuing_payouts, name="payouts"),
    path("ledger/payouts/<int:run_id>.csv", ledger_issuing.issuing_payouts_csv, name="payouts_csv"),
    path("ledger/overview.csv", ledger_staff.ledger_overview_csv, name="ledger_overview_csv"),
    path("exchange/", ledger_exchange.exchange_offices, name="exchange_offices"),
    path("exchange/<int:office_id>/", ledger_exchange.exchange_counter, name="exchange_counter"),
    path(
        "exchange/<int:office_id>/serve/<int:account_id>/",
        ledger_exchange.exchange_serve,
        name="exchange_serve",
    ),
    path(
        "exchange/<int:office_id>/deposit/<int:account_id>/",
        ledger_exchange.exchange_deposit,
        name="exchange_deposit",
    ),
    path(
        "exchange/<int:office_id>/withdraw/<int:account_id>/",
        ledger_exchange.exchange_withdraw,
        name="exchange_withdraw",
    ),
    path("exchange/<int:office_id>/count/", ledger_exchange.exchange_count, name="exchange_count"),
    path(
        "exchange/<int:office_id>/count/<int:count_id>/correct/",
        ledger_exchange.exchange_correct,
        name="exchange_correct",
    ),
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

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("q/<str:code>", scan.scan, name="scan"),
    path("Q/<str:code>", scan.scan, name="scan_print"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("<slug:slug>/", include(community)),
]
