"""In-app notifications (P10): "we send emails and other notifications".

A notification is written in the transaction of the change it reports (``emit.notify``), with
its mail in the outbox when the recipient wants that kind by email (``kinds.KINDS`` holds each
kind's default and words); ``inbox`` lists them, marks them read and keeps the mail choices.
"""
