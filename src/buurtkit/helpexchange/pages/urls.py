"""The help exchange's pages under ``/<slug>/helpexchange/`` (URL names in the ``web`` namespace)."""

from django.urls import URLPattern, path

from buurtkit.helpexchange.pages import views

community_urlpatterns: list[URLPattern] = [
    # Public (no login): the list, its embed for other sites, the feeds, one post.
    path("helpexchange/", views.public_list, name="helpexchange_public"),
    path("helpexchange/embed/", views.embed, name="helpexchange_embed"),
    path("helpexchange/feed.json", views.feed_json, name="helpexchange_feed_json"),
    path("helpexchange/feed.rss", views.feed_rss, name="helpexchange_feed_rss"),
    path("helpexchange/posts/<int:post_id>/", views.public_post, name="helpexchange_post"),
    # A resident's own (or staff acting for them).
    path("helpexchange/mine/", views.mine, name="helpexchange_mine"),
    path("helpexchange/new/", views.post_new, name="helpexchange_new"),
    path("helpexchange/posts/<int:post_id>/respond/", views.respond, name="helpexchange_respond"),
    path("helpexchange/posts/<int:post_id>/cancel/", views.post_cancel, name="helpexchange_cancel"),
    path("helpexchange/posts/<int:post_id>/report/", views.report, name="helpexchange_report"),
    path(
        "helpexchange/responses/<int:response_id>/accept/",
        views.accept,
        name="helpexchange_accept",
    ),
    path("helpexchange/deals/<int:deal_id>/confirm/", views.confirm, name="helpexchange_confirm"),
    path(
        "helpexchange/deals/<int:deal_id>/cancel/",
        views.deal_cancel,
        name="helpexchange_deal_cancel",
    ),
    # Staff.
    path("helpexchange/staff/", views.staff_list, name="helpexchange_staff"),
    path(
        "helpexchange/staff/posts/<int:post_id>/",
        views.staff_post,
        name="helpexchange_staff_post",
    ),
    path(
        "helpexchange/staff/posts/<int:post_id>/hide/",
        views.staff_hide,
        name="helpexchange_hide",
    ),
    path(
        "helpexchange/staff/posts/<int:post_id>/block/",
        views.staff_block,
        name="helpexchange_block",
    ),
    path("helpexchange/moderation/", views.moderation, name="helpexchange_moderation"),
    path("helpexchange/overview/", views.overview, name="helpexchange_overview"),
    path("helpexchange/overview.csv", views.overview_csv, name="helpexchange_overview_csv"),
    path("helpexchange/overview.xlsx", views.overview_xlsx, name="helpexchange_overview_xlsx"),
]
