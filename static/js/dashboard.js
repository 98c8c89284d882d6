// The dashboard's charts, drawn from the figures the page carries as JSON (no inline script: CSP).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const weeks = data.weekly.map((week) => week.week);
  const colours = { video: "#0a5a9c", phone: "#5c8a2f", in_person: "#a0522d" };
  const labels = data.labels;  // translated by the portal
  const weekly = document.getElementById("chart-weekly");
  if (weekly) {
    new Chart(weekly, {
      type: "bar",
      data: {
        labels: weeks,
        datasets: Object.keys(colours).map((modality) => ({
          label: labels[modality],
          backgroundColor: colours[modality],
          data: data.weekly.map((week) => week.modality[modality] || 0),
        })),
      },
      options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });
  }
  const outcomes = document.getElementById("chart-outcomes");
  if (outcomes) {
    new Chart(outcomes, {
      type: "line",
      data: {
        labels: weeks,
        datasets: Object.keys(data.outcomes).map((status) => ({
          label: labels[status],
          data: data.weekly.map((week) => (week.outcome_rates[status] ?? 0) * 100),
        })),
      },
      options: { animation: false, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => v + " %" } } } },
    });
  }
});
