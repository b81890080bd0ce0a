// Package pager is the paging loop every session collector ends up writing around
// NetSessionEnum, on top of what [sessionapi.All] does:
//
//   - it grows the budget when not even one entry fits (ERROR_MORE_DATA with no entries and
//     an unchanged resume handle, or NERR_BufTooSmall), doubling prefmaxlen up to
//     Options.MaxPrefMaxLen, and keeps the grown budget for the pages after;
//   - it retries a page that failed with a transient error (by default RPC_S_SERVER_UNAVAILABLE
//     or an error that carries no status, such as a broken connection) up to Options.Retries
//     times, from the same position: the resume handle is put back to the value the failed
//     call was made with. The fake leaves the handle untouched when an injected fault fails a
//     call, so a retry there continues exactly where it stopped. Windows documents a handle as
//     invalid after any error (spec rule 31); Options.RetryFrom = FromStart restarts the pass
//     instead, which costs the pages already read and loses nothing, since entries are
//     de-duplicated;
//   - it de-duplicates entries by (sesi*_cname, sesi*_username), exactly as the server spells
//     them (level 0 has no user name: by client alone). This hides the repeats that a list
//     changing under the resume handle produces (spec rule 29), and it also merges two real
//     sessions of one client and user, which a real server can hold (one user, two logons
//     from one machine): a collector that counts sessions, rather than who is logged on
//     where, should use sessionapi.Collect;
//   - it reports every call to Options.OnPage and sums them up in [Stats];
//   - it offers a listing strategy for servers whose sessions change while it pages.
//
// # Churn, and what each strategy costs
//
// A session that ends behind the resume handle shifts the list under it, and the session
// that moved into the freed position is skipped by that pass (the `paging-gaps` scenario;
// with 300 churning sessions read 2 per page, one pass missed 27 of the 183 sessions that
// lived throughout). A session that connects while a client pages goes last, where the pass
// still sees it; on a server that puts new sessions first (fake.Profile.NewSessionsFirst) it
// shifts the list the other way: the previous page's last entry comes again, and the new
// session is not seen in that pass.
//
//   - OnePass: one pass, the calls of sessionapi.All; gaps stay.
//   - TwoPasses: a second full pass, and the union of both: a session missed by the first is
//     caught unless the second misses it too. Costs exactly twice the calls.
//   - UntilTotal: a pass is taken as complete when it read at least the TotalEntries its first
//     page announced; otherwise another pass, up to Options.MaxPasses. Costs one pass where
//     nothing changed, and a pass more for each pass that churn cut short (a session that ends
//     ahead of the handle cuts one short too: TotalEntries is a hint, spec rule 11). On a
//     server that counts every session whatever the position (Samba, S10) the check still
//     holds, because a first page starts at position 0.
//
// TestCollectUnderChurn measures the misses on a fake of 300 sessions read 2 per page with
// churn before every call. With one session ended and one connected per call, one pass missed
// 24 of the 189 sessions that lived throughout, TwoPasses 4 (300 calls instead of 150), and
// UntilTotal 24: the count comes out right when as many sessions connect as end, so it sees
// no gap. With sessions only ending, one pass missed 34 of 200, TwoPasses 4 (167 calls instead
// of 100), UntilTotal none (212 calls in 3 passes).
//
// BenchmarkCollectRatio measures the time against sessionapi.Collect on one fake of 1,000
// sessions at 4 KiB a page: about 1.2-1.5 times for one pass (the (client, user) set) and
// 1.8-2.8 times for TwoPasses on a shared 2-core machine.
package pager
