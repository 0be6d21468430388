"""Routes of the helpdesk's pages under ``/<slug>/helpdesk/``."""

from django.urls import path

from buurtkit.helpdesk.pages import views, views_setup

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
