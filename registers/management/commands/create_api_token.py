"""Create an API token for an integration; the token is printed once and never stored.

manage.py create_api_token --school 100001 --name "Reception kiosk" --scope write
manage.py create_api_token --revoke <token id>
manage.py create_api_token --list --school 100001
"""

from django.core.management.base import BaseCommand, CommandError

from registers.models import ApiToken, School


class Command(BaseCommand):
    help = "Create (or revoke, or list) per-integration API tokens scoped to one school."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="The school's URN")
        parser.add_argument("--name", help="The integration, e.g. 'Reception kiosk'")
        parser.add_argument("--scope", choices=[s.value for s in ApiToken.Scope], default=ApiToken.Scope.READ)
        parser.add_argument("--rate", default="", help="Throttle rate for this token, e.g. 120/minute")
        parser.add_argument("--revoke", type=int, metavar="ID", help="Revoke the token with this id")
        parser.add_argument("--list", action="store_true", help="List the tokens (of --school, if given)")

    def handle(self, *args, school=None, name=None, scope=None, rate="", revoke=None, list=False, **options):
        if revoke is not None:
            token = ApiToken.objects.filter(pk=revoke).first()
            if token is None:
                raise CommandError(f"No API token with id {revoke}.")
            token.revoke()
            self.stdout.write(f"Revoked {token} ({token.school}).")
            return
        if list:
            tokens = ApiToken.objects.select_related("school")
            if school:
                tokens = tokens.filter(school__urn=school)
            for token in tokens:
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.pk}\t{token.school.urn}\t{token}\tlast used {used}")
            return
        if not school or not name:
            raise CommandError("--school URN and --name are required.")
        found = School.objects.filter(urn=school).first()
        if found is None:
            raise CommandError(f"No school with URN {school}.")
        if ApiToken.objects.filter(school=found, name=name).exists():
            raise CommandError(f"{found} already has a token named '{name}'; revoke it or choose another name.")
        if rate:
            try:
                from rest_framework.throttling import SimpleRateThrottle

                SimpleRateThrottle.parse_rate(None, rate)
            except (ValueError, KeyError):
                raise CommandError(f"'{rate}' is not a rate such as 120/minute.")
        token, raw = ApiToken.issue(school=found, name=name, scope=scope, throttle_rate=rate)
        self.stdout.write(
            f"Created {scope} token {token.pk} for {name} at {found}. Copy it now; it is not shown again:"
        )
        self.stdout.write(raw)
