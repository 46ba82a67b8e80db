# common.gp: terminal and style shared by meshsim plot's figures.
# Inputs (set by `meshsim plot` with -e): fmt ('png' or 'svg'), outfile.
# 1280x800 at font size 14; text is not "enhanced", so that names with
# underscores print as written.
if (fmt eq 'svg') {
  set terminal svg size 1280,800 noenhanced font 'DejaVu Sans,14' background rgb 'white'
} else {
  set terminal pngcairo size 1280,800 noenhanced font 'DejaVu Sans,14' background rgb 'white'
}
set output outfile
set encoding utf8
set grid lc rgb '#d0d0d0' lw 1
set border lw 1.2
set key box opaque samplen 3 spacing 1.2
set tics nomirror
set title font ',16'
set datafile missing NaN
set style line 1 lc rgb '#1f77b4' lw 2.5 pt 7 ps 1.4
set style line 2 lc rgb '#d62728' lw 2.5 pt 5 ps 1.4
set style line 3 lc rgb '#2ca02c' lw 2.5 pt 9 ps 1.4
set style line 4 lc rgb '#ff7f0e' lw 2.5 pt 11 ps 1.4
set style line 5 lc rgb '#555555' lw 2 dt 2
