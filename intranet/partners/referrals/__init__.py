"""Referrals through a partner's personal link: the link, the public form, the inbox, the outcome mails."""
