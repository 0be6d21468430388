"""Routes of the helpdesk's pages under ``/<slug>/helpdesk/``."""

from django.urls import path

from buurtkit.helpdesk.pages import views, views_chat, views_home, views_mail, views_setup

community_urlpatterns = [
    path("helpdesk/", views.queue, name="helpdesk_queue"),
    path("helpdesk/new/", views.ticket_file, name="helpdesk_file"),
    path("helpdesk/tickets/<int:helpdesk_ticket_id>/", views.ticket, name="helpdesk_ticket"),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/message/",
        views.ticket_message,
        name="helpdesk_ticket_message",
    ),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/status/",
        views.ticket_status,
        name="helpdesk_status",
    ),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/assign/",
        views.ticket_assign,
        name="helpdesk_assign",
    ),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/links/",
        views.ticket_links,
        name="helpdesk_links",
    ),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/home-help/",
        views.ticket_home_help,
        name="helpdesk_home_help",
    ),
    # Help at home, barrier reports, the overview (hd-home).
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/visits/",
        views_home.ticket_visits,
        name="helpdesk_ticket_visits",
    ),
    path(
        "helpdesk/tickets/<int:helpdesk_ticket_id>/barriers/",
        views_home.ticket_barriers,
        name="helpdesk_ticket_barriers",
    ),
    path("helpdesk/visits/", views_home.visits, name="helpdesk_visits"),
    path("helpdesk/visits/<int:helpdesk_visit_id>/", views_home.visit, name="helpdesk_visit"),
    path("helpdesk/barriers/", views_home.barriers, name="helpdesk_barriers"),
    path("helpdesk/services/", views_home.public_services, name="helpdesk_services"),
    path("helpdesk/overview/", views_home.overview, name="helpdesk_overview"),
    path("helpdesk/chats/", views_chat.live_chats, name="helpdesk_chats"),
    path("helpdesk/chats/duty/", views_chat.chat_duty, name="helpdesk_chat_duty"),
    path(
        "helpdesk/chats/<int:helpdesk_ticket_id>/",
        views_chat.chat_view,
        name="helpdesk_chat_view",
    ),
    path("helpdesk/categories/", views.categories, name="helpdesk_categories"),
    path("helpdesk/categories/new/", views.category_edit, name="helpdesk_category_new"),
    path(
        "helpdesk/categories/<int:helpdesk_category_id>/",
        views.category_edit,
        name="helpdesk_category_edit",
    ),
    path("helpdesk/answers/", views_setup.answers, name="helpdesk_answers"),
    path("helpdesk/answers/new/", views_setup.answer_edit, name="helpdesk_answer_new"),
    path("helpdesk/answers/<int:answer_id>/", views_setup.answer_edit, name="helpdesk_answer_edit"),
    path("helpdesk/articles/", views_setup.articles, name="helpdesk_articles"),
    path("helpdesk/articles/new/", views_setup.article_edit, name="helpdesk_article_new"),
    path(
        "helpdesk/articles/<int:article_id>/",
        views_setup.article_edit,
        name="helpdesk_article_edit",
    ),
    path("helpdesk/settings/", views_setup.settings_page, name="helpdesk_settings"),
    # The mail channel: mails staff decide on, attachments (helpdesk.view only).
    path("helpdesk/quarantine/", views_mail.quarantine, name="helpdesk_quarantine"),
    path(
        "helpdesk/quarantine/<int:quarantine_id>/",
        views_mail.quarantine_item,
        name="helpdesk_quarantine_item",
    ),
    path(
        "helpdesk/quarantine/<int:quarantine_id>/decide/",
        views_mail.quarantine_decide,
        name="helpdesk_quarantine_decide",
    ),
    path(
        "helpdesk/attachments/<int:attachment_id>/",
        views_mail.attachment,
        name="helpdesk_attachment",
    ),
    path("helpdesk/satisfaction/", views_mail.satisfaction, name="helpdesk_satisfaction"),
    # Public: the satisfaction question behind the SMS link (no login).
    path("helpdesk/survey/<str:survey_token>/", views_mail.survey, name="helpdesk_survey"),
    # Public: the chat box's page (no login; the box itself is on every portal page).
    path("chat/", views_chat.chat, name="helpdesk_chat"),
    path("helpdesk/phone/", views_setup.phone_settings, name="helpdesk_phone_settings"),
    path(
        "helpdesk/recordings/<int:helpdesk_recording_id>/",
        views.recording_audio,
        name="helpdesk_recording",
    ),
    # Public: the knowledge base's help pages (no login).
    path("help/", views.help_index, name="helpdesk_help"),
    path("help/<slug:article_slug>/", views.help_page, name="helpdesk_help_page"),
]
