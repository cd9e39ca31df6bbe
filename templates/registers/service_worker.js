{% load static %}/* The register pages' service worker (registers/register_views/offline.py serves it at the
   register pages' scope). Its code is in static files: the outbox it shares with the page, then
   the worker itself. */
importScripts("{% static 'js/register-outbox.js' %}", "{% static 'js/register-sw.js' %}");
