"""Reads a Maildir that aiosmtpd's Mailbox handler filled and prints each message as JSON
(recipient, subject, Content-Language and text, decoded by Python's own e-mail parser), one
message per line, for hdab's notification test."""

import email
import email.policy
import json
import mailbox
import sys


def parse(f):
    return email.message_from_binary_file(f, policy=email.policy.default)


for key, message in mailbox.Maildir(sys.argv[1], factory=parse, create=False).items():
    print(json.dumps({
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "language": str(message["Content-Language"]),
        "message_id": str(message["Message-ID"]),
        "body": message.get_content(),
    }, ensure_ascii=False))
