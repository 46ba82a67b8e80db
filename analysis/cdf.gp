# cdf.gp: CDF of page load time with and without the mesh (or of object
# latency). Data: datadir/cdf_mesh.dat and cdf_nomesh.dat, rows
#   upper_bound_s cumulative_%   (log buckets of the run's histogram)
# Also: title, xlab, ylab, key1, key0, nomesh.
load adir.'/common.gp'
set title title
set xlabel xlab
set ylabel ylab
set logscale x 10
set format x '%g'
set yrange [0:100]
set ytics 10
set key top left
cmd = "plot datadir.'/cdf_mesh.dat' using 1:2 with steps ls 1 title key1"
if (nomesh) { cmd = cmd.", datadir.'/cdf_nomesh.dat' using 1:2 with steps ls 2 title key0" }
eval cmd
