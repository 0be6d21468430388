"""The help exchange's pages under ``/<slug>/helpexchange/`` (URL names in the ``web`` namespace).

``community_urlpatterns`` is one ``helpexchange/`` include, tried first under ``/<slug>/``: the
public embed and feeds are asked for by other sites' visitors many times a second, and Django
tries a community's routes one by one (a route at the end of some 300 costs about a
millisecond). Every other page pays one prefix test for it."""

from django.urls import URLPattern, URLResolver, include, path

from buurtkit.helpexchange.pages import views

urlpatterns: list[URLPattern] = [
    # Public (no login): the list, its embed for other sites, the feeds, one post.
    path("", views.public_list, name="helpexchange_public"),
    path("embed/", views.embed, name="helpexchange_embed"),
    path("feed.json", views.feed_json, name="helpexchange_feed_json"),
    path("feed.rss", views.feed_rss, name="helpexchange_feed_rss"),
    path("posts/<int:post_id>/", views.public_post, name="helpexchange_post"),
    # A resident's own (or staff acting for them).
    path("mine/", views.mine, name="helpexchange_mine"),
    path("new/", views.post_new, name="helpexchange_new"),
    path("posts/<int:post_id>/respond/", views.respond, name="helpexchange_respond"),
    path("posts/<int:post_id>/cancel/", views.post_cancel, name="helpexchange_cancel"),
    path("posts/<int:post_id>/report/", views.report, name="helpexchange_report"),
    path(
        "responses/<int:response_id>/accept/",
        views.accept,
        name="helpexchange_accept",
    ),
    path("deals/<int:deal_id>/confirm/", views.confirm, name="helpexchange_confirm"),
    path(
        "deals/<int:deal_id>/cancel/",
        views.deal_cancel,
        name="helpexchange_deal_cancel",
    ),
    # Staff.
    path("staff/", views.staff_list, name="helpexchange_staff"),
    path(
        "staff/posts/<int:post_id>/",
        views.staff_post,
        name="helpexchange_staff_post",
    ),
    path(
        "staff/posts/<int:post_id>/hide/",
        views.staff_hide,
        name="helpexchange_hide",
    ),
    path(
        "staff/posts/<int:post_id>/block/",
        views.staff_block,
        name="helpexchange_block",
    ),
    path("moderation/", views.moderation, name="helpexchange_moderation"),
    path("overview/", views.overview, name="helpexchange_overview"),
    path("overview.csv", views.overview_csv, name="helpexchange_overview_csv"),
    path("overview.xlsx", views.overview_xlsx, name="helpexchange_overview_xlsx"),
]

community_urlpatterns: list[URLResolver] = [path("helpexchange/", include(urlpatterns))]
