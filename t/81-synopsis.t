#!/usr/bin/env perl
# Every SYNOPSIS block of every module runs as written: it is extracted from
# the POD, written to a temporary file and run by a fresh perl with a
# timeout, and must exit with status 0.
use v5.36;
use Test::More;
use File::Find ();
use File::Temp ();
use File::Spec ();
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(run_with_timeout have_pidfd);

alarm 300;    # watchdog for the whole test

my $TIMEOUT = 20;    # seconds for one SYNOPSIS

my @modules;
File::Find::find({ no_chdir => 1, wanted => sub { push @modules, $_ if /\.pm\z/ } }, 'lib');
@modules = sort @modules;
ok(scalar @modules, 'found modules under lib/') or BAIL_OUT('run this test from the top of the checkout');

# Verbatim paragraphs of the SYNOPSIS section, with the common indent removed.
sub synopsis ($file) {
    open(my $in, '<', $file) or die "$file: $!";
    my ($in_pod, $in_syn, @lines) = (0, 0);
    while (my $line = <$in>) {
        if ($line =~ /\A=(\w+)/) {
            my $cmd = $1;
            $in_pod = $cmd ne 'cut';
            $in_syn = $cmd eq 'head1' && $line =~ /\A=head1\s+SYNOPSIS\s*\z/;
            next;
        }
        next unless $in_pod && $in_syn;
        push @lines, $line if $line =~ /\A[ \t]/ || $line =~ /\A\s*\z/;
    }
    my @indents = map { /\A([ \t]*)\S/ ? length $1 : () } @lines;
    return undef unless @indents;
    my $min = (sort { $a <=> $b } @indents)[0];
    return join '', map { /\S/ ? substr($_, $min) : "\n" } @lines;
}

# -I for every blib directory this test itself was given (make test), then lib/.
my @inc = ((map { "-I$_" } grep { !ref && /blib/ } @INC), '-Ilib');

# The framework a backend module needs (e.g. IO::Async, Mojolicious), if it
# is not installed: the module then cannot load for want of a file that is
# not part of this distribution.
sub missing_framework ($module) {
    (my $file = $module) =~ s{\Alib/}{};
    my ($status, undef, $output) = run_with_timeout([$^X, @inc, '-e', "require q{$file}"],
        timeout => $TIMEOUT);
    return undef unless $status && $output =~ /Can't locate (\S+\.pm) in \@INC/;
    return -e "lib/$1" ? undef : $1;
}

for my $module (@modules) {
    my $code = synopsis($module);
    ok(defined $code, "$module has a SYNOPSIS") or next;
  SKIP: {
    if (my $missing = missing_framework($module)) {
        skip("$module needs $missing, which is not installed", 2);
    }
    skip "$module SYNOPSIS watches a process, and pidfd_open(2) is not available here", 2
        if $code =~ /->pid\(/ && !have_pidfd();
    my $tmp = File::Temp->new(SUFFIX => '.pl');
    print {$tmp} $code;
    close $tmp;
    my ($status, $timed_out, $output) = run_with_timeout([$^X, @inc, $tmp->filename], timeout => $TIMEOUT);
    ok(!$timed_out, "$module SYNOPSIS finishes within $TIMEOUT s");
    is($status, 0, "$module SYNOPSIS exits with status 0")
        or diag("SYNOPSIS of $module:\n$code\noutput:\n$output");
    note($output);
  }
}

done_testing;
