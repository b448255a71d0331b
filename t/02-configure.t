#!perl
# `perl Makefile.PL` refuses what the engine cannot be built for, the way CPAN
# testers expect: one "OS unsupported" line, exit 0, no Makefile.  Each check
# is forced with LINUX_EVENT_PRETEND_CONFIG (a testing aid of Makefile.PL) and
# run in a temporary copy of the distribution, so the checkout's own Makefile
# is never touched.  Also: the Makefile builds into CARGO_TARGET_DIR.
use v5.36;
use Test::More;
use File::Temp ();
use File::Copy qw(copy);
use File::Find ();
use File::Path qw(make_path);
use Cwd qw(getcwd);

BEGIN { alarm 120 }

my $top = getcwd();
-f "$top/Makefile.PL" or plan skip_all => 'run this test from the top of the distribution';

# A copy of what Makefile.PL reads: itself, Cargo.toml and the modules.
sub dist_copy () {
    my $dir = File::Temp->newdir('le-configure-XXXXXX', TMPDIR => 1);
    copy("$top/$_", "$dir/$_") or die "copy $_: $!" for qw(Makefile.PL Cargo.toml);
    File::Find::find({ no_chdir => 1, wanted => sub {
        return unless m{^\Q$top\E/(lib/.+\.pm)\z} && $1 !~ m{^lib/auto/};
        my $rel = $1;
        (my $d = "$dir/$rel") =~ s{/[^/]+\z}{};
        make_path($d);
        copy($_, "$dir/$rel") or die "copy $rel: $!";
    } }, "$top/lib");
    return $dir;
}

# Runs Makefile.PL in a fresh copy with %env: (exit status, output, copy).
sub configure (%env) {
    my $dir = dist_copy();
    local @ENV{keys %env} = values %env;
    local $ENV{PERL_MM_USE_DEFAULT} = 1;
    my $out = `cd '$dir' && '$^X' Makefile.PL 2>&1`;
    return ($? >> 8, $out, $dir);
}

my $need = do {
    open my $fh, '<', "$top/Cargo.toml" or die "Cargo.toml: $!";
    my ($v) = map { /^rust-version\s*=\s*"([\d.]+)"/ ? $1 : () } <$fh>;
    $v;
};
ok $need, "Cargo.toml declares a rust-version ($need)";
cmp_ok eval { version->parse("v$need") } // 0, '>=', version->parse('v1.85'),
    'at least 1.85, which edition 2024 needs';

my @refusals = (
    [ 'osname=freebsd', qr/needs Linux .*this is freebsd/,                         'not Linux' ],
    [ 'ivsize=4',       qr/integers \(IV\) are 64-bit, and this one's are 32-bit/, 'IV not 64-bit' ],
    [ 'nvsize=16',      qr/\(NV\) are a double, and this one's are 16 bytes/,      'NV not a double' ],
    [ 'cargo=',         qr/no `cargo` is on PATH: install Rust with rustup \(https:\/\/rustup\.rs\)/, 'no cargo' ],
    [ 'rustc=1.70.0',   qr/needs Rust \Q$need\E or later to build, and the one on PATH \(`[^`]*`\) is 1\.70\.0: update it with `rustup update`/, 'Rust too old' ],
);
for my $case (@refusals) {
    my ($pretend, $re, $what) = @$case;
    my ($status, $out, $dir) = configure(LINUX_EVENT_PRETEND_CONFIG => $pretend);
    is $status, 0, "$what: Makefile.PL exits 0";
    my @lines = split /\n/, $out;
    is scalar @lines, 1, "$what: says one line" or diag $out;
    like $lines[0] // '', qr/^OS unsupported: Linux::Event .*$re/, "$what: the line says why, as CPAN testers read it";
    ok !-e "$dir/Makefile", "$what: no Makefile is written";
}

# The real detection, without the testing aid: a PATH with no cargo, and a
# PATH whose cargo and rustc are too old.
{
    my $bin = File::Temp->newdir('le-path-XXXXXX', TMPDIR => 1);
    my ($status, $out, $dir) = configure(PATH => "$bin");
    is $status, 0, 'a PATH without cargo: Makefile.PL exits 0';
    like $out, qr/\AOS unsupported: Linux::Event .*no `cargo` is on PATH.*rustup/, '... saying no cargo is on PATH and how to get Rust';
    ok !-e "$dir/Makefile", '... with no Makefile';

    for my $tool (qw(cargo rustc)) {
        open my $fh, '>', "$bin/$tool" or die "$bin/$tool: $!";
        print {$fh} "#!/bin/sh\necho '$tool 1.70.0 (0000000 2023-05-31)'\n";
        close $fh;
        chmod 0755, "$bin/$tool" or die "chmod: $!";
    }
    ($status, $out, $dir) = configure(PATH => "$bin");
    is $status, 0, 'a PATH with Rust 1.70: Makefile.PL exits 0';
    like $out, qr/\AOS unsupported: Linux::Event needs Rust \Q$need\E or later to build, and the one on PATH \(`\Q$bin\E\/cargo`\) is 1\.70\.0/,
        '... saying which Rust it found and which it needs';
    ok !-e "$dir/Makefile", '... with no Makefile';
}

# The same checks let a supported configuration through, and the Makefile
# builds into CARGO_TARGET_DIR when it is set.
{
    my ($status, $out, $dir) = configure(LINUX_EVENT_PRETEND_CONFIG => "rustc=$need", CARGO_TARGET_DIR => '/some/target-dir');
    is $status, 0, "the minimum Rust ($need) is accepted";
    unlike $out, qr/unsupported/, '... without a refusal';
    ok -e "$dir/Makefile", '... and a Makefile is written';
    open my $mf, '<', "$dir/Makefile" or die "Makefile: $!";
    my $makefile = do { local $/; <$mf> };
    like $makefile, qr{^RUST_TARGET_DIR = /some/target-dir$}m, 'the Makefile takes CARGO_TARGET_DIR';
    like $makefile, qr{^RUST_LIB = \$\(RUST_TARGET_DIR\)/release/}m, '... as the place of the built library';
    like $makefile, qr{CARGO_TARGET_DIR="\$\(RUST_TARGET_DIR\)" \$\(CARGO\) build}, '... and gives cargo the same directory';
}
{
    my ($status, $out, $dir) = configure(CARGO_TARGET_DIR => '');
    open my $mf, '<', "$dir/Makefile" or die "Makefile: $!\n$out";
    my $makefile = do { local $/; <$mf> };
    like $makefile, qr{^RUST_TARGET_DIR = target$}m, 'without CARGO_TARGET_DIR cargo builds into target/';
}

done_testing;
