"""Routes of the ledger's pages, all under ``/<slug>/`` (the root URLconf adds them to the
``web`` namespace, so the names stay ``web:pay_home`` and so on)."""

from django.urls import path

from buurtkit.ledger.pages import (
    views,
    views_copy,
    views_exchange,
    views_issuing,
    views_public,
    views_requests,
    views_setup,
    views_staff,
)

community_urlpatterns = [
    path("people/<int:person_id>/lost-phone/", views.person_lost_phone, name="person_lost_phone"),
    path(
        "people/<int:person_id>/open-account/",
        views.person_open_account,
        name="person_open_account",
    ),
    path("pay/", views.pay_home, name="pay_home"),
    path("pay/where/", views_public.places, name="ledger_places"),
    path("pay/where/embed/", views_public.places_embed, name="ledger_places_embed"),
    path("pay/manifest.webmanifest", views_public.manifest, name="ledger_manifest"),
    path("pay/to/", views.pay_to, name="pay_to"),
    path("pay/amount/", views.pay_amount, name="pay_amount"),
    path("pay/confirm/", views.pay_confirm, name="pay_confirm"),
    path("pay/receipt/<int:transfer_id>/", views.pay_receipt, name="pay_receipt"),
    path("pay/pin/", views.pay_pin, name="pay_pin"),
    path("pay/requests/", views_requests.payment_requests, name="payment_requests"),
    path(
        "pay/requests/<str:token>/",
        views_requests.payment_request_pay,
        name="payment_request_pay",
    ),
    path(
        "pay/requests/<str:token>/show/",
        views_requests.payment_request_show,
        name="payment_request_show",
    ),
    path(
        "pay/requests/<str:token>/status/",
        views_requests.payment_request_status,
        name="payment_request_status",
    ),
    path(
        "pay/requests/<str:token>/cancel/",
        views_requests.payment_request_cancel,
        name="payment_request_cancel",
    ),
    path("pay/accounts/<int:account_id>/", views.ledger_account, name="ledger_account"),
    path(
        "pay/accounts/<int:account_id>/sms-receipts/",
        views_requests.account_sms_receipts,
        name="account_sms_receipts",
    ),
    path(
        "pay/accounts/<int:account_id>/code.pdf",
        views.ledger_account_code,
        name="ledger_account_code",
    ),
    path(
        "pay/accounts/<int:account_id>/statement.<str:fmt>",
        views.ledger_statement,
        name="ledger_statement",
    ),
    path("ledger/", views_staff.ledger_overview, name="ledger_overview"),
    path("ledger/issuing/", views_issuing.issuing_home, name="issuing"),
    path("ledger/issuing/reward/", views_issuing.issuing_reward, name="issuing_reward"),
    path("ledger/issuing/budget/", views_issuing.issuing_budget, name="issuing_budget"),
    path(
        "ledger/issuing/pending/<int:pending_id>/",
        views_issuing.issuing_decide,
        name="issuing_decide",
    ),
    path("ledger/issuing/redemption/", views_issuing.issuing_redemption, name="issuing_redemption"),
    path("ledger/payouts/<int:run_id>/", views_issuing.issuing_payouts, name="payouts"),
    path("ledger/payouts/<int:run_id>.csv", views_issuing.issuing_payouts_csv, name="payouts_csv"),
    path("ledger/overview.csv", views_staff.ledger_overview_csv, name="ledger_overview_csv"),
    path("ledger/copy/", views_copy.ledger_copy_circle, name="ledger_copy_circle"),
    path("ledger/setup/", views_setup.circle_setup, name="ledger_setup"),
    path("ledger/setup/currency/", views_setup.circle_setup_currency, name="ledger_setup_currency"),
    path("ledger/setup/offices/", views_setup.circle_setup_office, name="ledger_setup_office"),
    path("ledger/setup/budgets/", views_setup.circle_setup_budget, name="ledger_setup_budget"),
    path("ledger/setup/shops/", views_setup.circle_setup_shop, name="ledger_setup_shop"),
    path("exchange/", views_exchange.exchange_offices, name="exchange_offices"),
    path("exchange/<int:office_id>/", views_exchange.exchange_counter, name="exchange_counter"),
    path(
        "exchange/<int:office_id>/serve/<int:account_id>/",
        views_exchange.exchange_serve,
        name="exchange_serve",
    ),
    path(
        "exchange/<int:office_id>/deposit/<int:account_id>/",
        views_exchange.exchange_deposit,
        name="exchange_deposit",
    ),
    path(
        "exchange/<int:office_id>/withdraw/<int:account_id>/",
        views_exchange.exchange_withdraw,
        name="exchange_withdraw",
    ),
    path("exchange/<int:office_id>/count/", views_exchange.exchange_count, name="exchange_count"),
    path(
        "exchange/<int:office_id>/count/<int:count_id>/correct/",
        views_exchange.exchange_correct,
        name="exchange_correct",
    ),
]
