"""Sign-in guessing: a progressive delay per account and a failure limit per client IP
(docs/security.md, "Sign-in").

Per account (by a hash of the email, known or not, so that the delay reveals nothing about
which emails exist): the first `free_failures` wrong passwords in `window_s` cost nothing;
each one after that locks the account's sign-in for twice as long as the last, from 1 s up
to `max_delay_s`. While locked, every attempt, even with the right password, is a 429 with
`Retry-After`, and is not checked. The delay is capped so that an attacker who keeps
guessing a real customer's email keeps them out for `max_delay_s` at most at a time, while
a guesser gets about one try per `max_delay_s`. A success clears the account's count.

Per client IP: more than the rule's failures in its window, and that IP may not sign in to
any account until the window ends (one address guessing many accounts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from souk.api.ratelimit import STORE_ERRORS, Limits, Rule, Store, digest
from souk.errors import RateLimited

log = logging.getLogger(__name__)


@dataclass
class SignInGuard:
    store: Store
    per_ip: Rule
    free_failures: int = 5
    window_s: int = 900
    max_delay_s: int = 300
    limits: Limits | None = None  # for the exempt networks; None: nothing is exempt

    def check(self, *, email: str, ip: str) -> None:
        try:
            self._check(email, ip)
        except STORE_ERRORS as exc:
            # Like the request limits: a store that is down lets sign-in through.
            log.warning("sign-in guard store unreachable, not checked: %s", exc)

    def failed(self, *, email: str, ip: str) -> None:
        try:
            self._failed(email, ip)
        except STORE_ERRORS as exc:
            log.warning("sign-in guard store unreachable, failure not counted: %s", exc)

    def succeeded(self, *, email: str) -> None:
        try:
            self.store.delete(self._fail_key(email), self._lock_key(email))
        except STORE_ERRORS as exc:
            log.warning("sign-in guard store unreachable: %s", exc)

    def _check(self, email: str, ip: str) -> None:
        locked = self.store.ttl_ms(self._lock_key(email))
        if locked > 0:
            raise RateLimited(
                "Too many wrong passwords for this account: wait before trying again",
                retry_after_s=-(-locked // 1000),
            )
        if not self._exempt(ip):
            blocked = self.store.ttl_ms(f"signin:lock:ip:{ip}")
            if blocked > 0:
                raise RateLimited(
                    "Too many failed sign-ins from this address: wait before trying again",
                    retry_after_s=-(-blocked // 1000),
                )

    def _failed(self, email: str, ip: str) -> None:
        count, _ = self.store.hit(self._fail_key(email), self.window_s * 1000)
        if count >= self.free_failures:
            delay_s = min(2 ** (count - self.free_failures), self.max_delay_s)
            self.store.put(self._lock_key(email), delay_s * 1000)
        if not self._exempt(ip):
            failures, rest_ms = self.store.hit(f"signin:fail:ip:{ip}", self.per_ip.window_s * 1000)
            if failures >= self.per_ip.limit:
                self.store.put(f"signin:lock:ip:{ip}", rest_ms)

    def _exempt(self, ip: str) -> bool:
        return self.limits is not None and self.limits.is_exempt(ip)

    @staticmethod
    def _fail_key(email: str) -> str:
        return f"signin:fail:acct:{digest(email)}"

    @staticmethod
    def _lock_key(email: str) -> str:
        return f"signin:lock:acct:{digest(email)}"
