// Each ping still waiting on the page shows its answer as soon as a worker gives
// it, with no reload: the page asks /pings/N/ once a second, for a minute at most.
const POLL_EVERY_MS = 1000;
const POLLS_AT_MOST = 60;

function watch(row, pollsLeft) {
  fetch(row.dataset.statusUrl, { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({})) // offline for a moment: ask again at the next poll
    .then((ping) => {
      if (ping.answered_by) {
        row.querySelector(".answered-by").textContent = ping.answered_by;
        delete row.dataset.statusUrl;
      } else if (pollsLeft > 1) {
        setTimeout(() => watch(row, pollsLeft - 1), POLL_EVERY_MS);
      }
    });
}

document.querySelectorAll("tr[data-status-url]").forEach((row) => watch(row, POLLS_AT_MOST));
