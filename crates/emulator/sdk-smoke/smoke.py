"""Drives the emulator with the official Genesys Cloud Python SDK, unchanged.

Usage: smoke.py API_BASE_URL

The SDK derives its login host by replacing "//api." with "//login." in its host; the
emulator's API and login share one loopback origin, so setting the host is all it takes.
"""

import sys
import traceback

import PureCloudPlatformClientV2 as genesys
from PureCloudPlatformClientV2.rest import ApiException

CLIENT_ID = "c11e0000-0000-4000-8000-000000000002"
CLIENT_SECRET = "emulator-secret"


class Smoke:
    def __init__(self, api_base):
        self.api_base = api_base
        self.passed = 0
        self.failed = 0
        self.client = None
        self.action = None

    def check(self, name, step):
        try:
            step()
        except Exception:  # every failure, whatever its kind, is reported and counted
            self.failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            self.passed += 1
            print(f"ok   {name}")

    def token(self):
        client = genesys.ApiClient(host=self.api_base)
        client.get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
        assert client.access_token, "no access token was issued"
        self.client = client

    def list_with_config(self):
        api = genesys.IntegrationsApi(self.client)
        listing = api.get_integrations_actions(page_size=100, include_config=True)
        assert listing.total and listing.total > 0, "the listing is empty"
        with_timeout = [a for a in listing.entities if a.config and a.config.timeout_seconds]
        assert with_timeout, "no action in the listing carries config.timeoutSeconds"
        self.action = with_timeout[0]

    def get_one(self):
        api = genesys.IntegrationsApi(self.client)
        action = api.get_integrations_action(self.action.id, include_config=True, expand="contract")
        assert action.id == self.action.id
        assert action.config.request is not None, "the single GET has no request config"
        assert action.contract is not None, "expand=contract returned no contract"
        self.action = action

    def patch_timeout(self):
        api = genesys.IntegrationsApi(self.client)
        current = self.action
        new_timeout = 7 if current.config.timeout_seconds != 7 else 8
        config = current.config
        config.timeout_seconds = new_timeout
        body = genesys.UpdateActionInput()
        body.version = current.version
        body.name = current.name
        body.category = current.category
        body.config = config
        updated = api.patch_integrations_action(current.id, body)
        assert updated.version == current.version + 1, f"version {updated.version}"
        assert updated.config.timeout_seconds == new_timeout
        self.stale_version = current.version

    def stale_version_conflicts(self):
        api = genesys.IntegrationsApi(self.client)
        body = genesys.UpdateActionInput()
        body.version = self.stale_version
        body.config = self.action.config
        try:
            api.patch_integrations_action(self.action.id, body)
        except ApiException as error:
            assert error.status == 409, f"status {error.status}"
            assert "does not match the current version" in str(error.body)
        else:
            raise AssertionError("a stale version was accepted")


def main():
    if len(sys.argv) != 2:
        print("usage: smoke.py API_BASE_URL", file=sys.stderr)
        return 2
    smoke = Smoke(sys.argv[1])
    smoke.check("client-credentials token", smoke.token)
    smoke.check("list actions with includeConfig", smoke.list_with_config)
    smoke.check("get one action with config and contract", smoke.get_one)
    smoke.check("PATCH the timeout", smoke.patch_timeout)
    smoke.check("PATCH with a stale version is a 409 ApiException", smoke.stale_version_conflicts)
    print(f"sdk smoke: {smoke.passed} passed, {smoke.failed} failed")
    return 0 if smoke.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
