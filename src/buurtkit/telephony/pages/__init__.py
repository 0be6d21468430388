"""Telephony's pages: the webhooks Twilio (or the simulator) calls, the public address of a
recorded prompt, and the staff pages for call flows and recordings (reached from Buurbel's
pages, under ``/<slug>/buurbel/``). ``urls.py`` lists the routes; ``telephony.links`` reverses
the webhooks' names."""
