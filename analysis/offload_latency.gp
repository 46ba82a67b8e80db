# offload_latency.gp: offload vs page load time (or object latency).
# Data (datadir/offload_latency.dat), one row per point:
#   index offload_% offload_ci_% y_s y_ci_s y_nomesh_s y_nomesh_ci_s "label"
# mode: 'sweep' (mean ± 95% CI per grid point), 'hourly', 'country', 'run'.
# Also: title, xlab, ylab, nomesh (1: draw the no-mesh counterfactual), errbars.
load adir.'/common.gp'
f = datadir.'/offload_latency.dat'
set title title
set xlabel xlab
set ylabel ylab
set key top left
set offsets graph 0.08, graph 0.08, graph 0.12, 0
set yrange [0:*]
set xrange [*:*]
if (mode eq 'run') { set xrange [0:100] }   # one point: the whole scale
# (optional curves are appended to the plot command, then eval'd)
if (mode eq 'sweep') {
  cmd = "plot f using 2:4:3:5 with xyerrorbars ls 1 title 'with mesh (mean ± 95% CI)'"
  if (nomesh) { cmd = cmd.", f using 2:6:7 with yerrorbars ls 2 title 'without mesh, same page views (mean ± 95% CI)'" }
} else {
  lbl = (mode eq 'hourly') ? 'hour' : (mode eq 'country') ? 'country' : 'run'
  cmd = "plot f using 2:4 with points ls 1 title 'with mesh, one point per '.lbl"
  if (nomesh) { cmd = cmd.", f using 2:6 with points ls 2 title 'without mesh, same page views'" }
}
# a thin line joins each point's two page load times (same page views)
if (nomesh) { cmd = cmd.", f using 2:6:(0):($4-$6) with vectors nohead lc rgb '#b0b0b0' lw 1 notitle" }
cmd = cmd.", f using 2:4:8 with labels offset char 0.8,char 0.8 left font ',11' notitle"
eval cmd
