from django.urls import path

from layan.console.views import auth, cases, documents, inbox, queues, sop, supervision

app_name = "console"

urlpatterns = [
    path("", queues.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("office/", auth.switch_office, name="switch_office"),
    path("queue/<slug:slug>/", queues.queue, name="queue"),
    path("claim-next/", queues.claim_next, name="claim_next"),
    path("r/<str:code>/", cases.case_page, name="case"),
    path("r/<str:code>/claim/", cases.claim, name="claim"),
    path("r/<str:code>/release/", cases.release, name="release"),
    path("r/<str:code>/act/<slug:action>/", cases.act, name="act"),
    path("r/<str:code>/check/<slug:requirement>/", cases.check, name="check"),
    path("r/<str:code>/send-back/", cases.send_back, name="send_back"),
    path("r/<str:code>/data/", cases.save_data, name="save_data"),
    path("r/<str:code>/received/", cases.documents_received, name="documents_received"),
    path("r/<str:code>/chat/", cases.chat, name="chat"),
    path("r/<str:code>/chat/panel/", cases.chat_panel, name="chat_panel"),
    path("r/<str:code>/file/<int:pk>/", cases.attachment, name="attachment"),
    path("r/<str:code>/draft.pdf", documents.draft, name="draft"),
    path("r/<str:code>/receipt.pdf", documents.receipt, name="receipt"),
    path("r/<str:code>/sign/", documents.sign, name="sign"),
    path("r/<str:code>/print/", documents.record_print, name="record_print"),
    path("r/<str:code>/handover/", documents.record_handover, name="record_handover"),
    path("r/<str:code>/doc/<slug:public_id>.pdf", documents.issued, name="issued"),
    path("r/<str:code>/doc/<slug:public_id>/revoke/", documents.revoke, name="revoke"),
    path("register/", documents.register, name="register"),
    path("register/export.<slug:fmt>", documents.register_export, name="register_export"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox.conversation, name="conversation"),
    path("inbox/<int:pk>/reply/", inbox.reply, name="reply"),
    path("inbox/<int:pk>/release/", inbox.release, name="release_conversation"),
    path("supervisor/", supervision.overview, name="supervisor"),
    path("access-log/", supervision.access_log, name="access_log"),
    path("sop/", sop.sop_list, name="sop_list"),
    path("sop/<slug:code>/", sop.sop_detail, name="sop"),
    path("sop/<slug:code>/chart.svg", sop.sop_chart, name="sop_chart"),
]
