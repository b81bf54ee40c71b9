"""In-app notifications (P10): "we send emails and other notifications".

A notification is written in the transaction of the change it reports (``emit.notify``), with
its mail in the outbox when the recipient wants that kind by email (``kinds.KINDS`` holds each
kind's default and words). Once that transaction commits it is announced on the
``NotificationBus`` (``emit.announcing``), and every open subscription of its recipient, in
any server process, reads it from the database and sends it (``live``, ``bus``). The database
is the truth: an announcement that is lost only delays a notification until the next check.
"""
