"""In-memory stand-ins for email's mailer and sent-mail store."""


class FakeMailer:
    def __init__(self):
        self.sent = []

    def send(self, mail, on_accepted):
        self.sent.append(mail)
        on_accepted()


class FakeSent:
    def __init__(self):
        self.records = {}

    def ping(self):
        return True

    def already_sent(self, event_id):
        return event_id in self.records

    def record(self, sent):
        return self.records.setdefault(sent.event_id, sent) is sent

    def for_order(self, order_id):
        return [mail for mail in self.records.values() if mail.order_id == order_id]

    def page(self, offset, limit):
        mails = list(self.records.values())
        return mails[offset:offset + limit], len(mails)
