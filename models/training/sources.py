"""The Debian packages whose colour photographs train the colouriser, each photo with its sha256 and licence.

``python -m tinct.models.training.sources [--dest DIR]`` downloads the packages (``apt-get download``,
Debian bookworm) and copies the photos to ``DIR/<package>/<file>`` (see :func:`packages.fetch`).

Every photo was looked at on contact sheets; only photographs are kept (no drawings, renders, logos,
screenshots or abstract art), short side at least 384 px, of the largest resolution a package ships.
The licence is as the package's ``usr/share/doc/PKG/copyright`` states it (per file where the file
is per file); all allow redistribution and modification.

Kept:

- The four packages of ``../shared/data/photos``, exactly the files there (so a fresh machine can
  re-create that folder): plasma-workspace-wallpapers (``contents/images/2560x1600.jpg`` of each
  wallpaper, saved as ``NAME.jpg``), mate-backgrounds (``nature/``), lomiri-wallpapers-16.04 and
  -20.04, opencv-doc (``examples/data/``). Their held-out photos stay listed; the training split
  (:mod:`tinct.models.training.split`) skips them.
- lxqt-themes: 11 wallpapers (sky, fog, hills, flowers, insects); ``Valendas.png`` is RGBA but opaque.
- python3-sklearn: ``china.jpg`` (temple) and ``flower.jpg`` (CC-BY-2.0 by their README; the Debian
  copyright gives BSD-3-Clause for the whole package).
- kphotoalbum: the 24 photos of its demo album (people, a dog, bars, the Grand Canyon, the sea);
  some are rotated by their EXIF orientation, one carries a date imprint.
- tuxpaint-data: the 19 photographic drawing templates (bark, rocks, sea, sheep, lighthouse, trees,
  a mill machine), photographed by Bill Kendrick (AUTHORS.txt).
- gimp-help-en: two untouched camera photos of the tone-mapping tutorial (truck, power lines).
- qtdeclarative5-examples (amd64 tree): Niagara Falls, autumn leaves, cork board.
- libvips-doc: ``owl.jpg``. digikam-data: the lake-and-hills photo behind its About page.

Excluded:

- Reserved for evaluation, never trained on: scikit-image, matplotlib, libjxl, palapeli / palapeli-data.
- Not photographs: gnome-backgrounds 43.1, ukui-wallpapers, sway-backgrounds, xfdesktop4-data,
  desktop-base, debian-edu-artwork*, fvwm-crystal, terminology-data, lomiri-wallpapers (all drawn or
  rendered); lomiri-wallpapers-20.04's other three files (renders, a composited Milky Way);
  pysiogame, openshot-qt (transition masks), krita-data and mypaint-data-extras (paper textures),
  tuxpaint stamps that are drawings, kodi-data (screenshots; its two home-page photos have no
  licence stated for them), gimp-help-en's other tutorial pictures (screenshots, side-by-side and
  re-toned copies of the two kept), kstars-data and marble-data (documentation screenshots, maps).
- Too small (short side under 384 px): most tuxpaint stamps; the stellarium landscape tiles
  (panorama strips with transparent sky, 512 px high at most and half empty).
- Cut-outs: tuxpaint-stamps-default's photos of objects on a transparent background (bird, lobster,
  fruit, vehicles): training has no compositing, and a cut-out's edge on a flat fill teaches nothing true.
- Other reasons: stellarium-data's one 774x480 photo (a 246 MB download for it), tuxpaint stamps
  ``bradley_mirror`` (mirror copy), ``paratrooper``, ``explosion``, ``spade`` (mostly transparent),
  ``bee`` (grey drawing); the other mate-backgrounds, opencv-doc and lomiri files (not in the shared
  folder); gcompris-qt-data (pictures packed in Qt ``.rcc`` files); astronomical images of stellarium.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tinct.models.training.packages import DEFAULT_CACHE, FetchError, Package, Photo, fetch

PLASMA = "LGPL-3 (metadata.json; debian/copyright: GPL-2+)"
OPENCV = "Apache-2.0 AND BSD-3-Clause"
SKLEARN = "CC-BY-2.0 (sklearn/datasets/images/README.txt; debian/copyright: BSD-3-Clause)"

PLASMA_WORKSPACE_WALLPAPERS = Package(
    "debian",
    "plasma-workspace-wallpapers",
    "4:5.27.5-2",
    (
        Photo(
            "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
            "c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f",
            PLASMA,
            name="BytheWater.jpg",
        ),
        Photo(
            "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
            "05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f",
            PLASMA,
            name="ColdRipple.jpg",
        ),
        Photo(
            "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
            "6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d",
            PLASMA,
            name="ColorfulCups.jpg",
        ),
        Photo(
            "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg",
            "8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce",
            PLASMA,
            name="DarkestHour.jpg",
        ),
        Photo(
            "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg",
            "586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a",
            PLASMA,
            name="EveningGlow.jpg",
        ),
        Photo(
            "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
            "95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de",
            PLASMA,
            name="FallenLeaf.jpg",
        ),
        Photo(
            "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg",
            "88c31d8944b7e6935d1b9a296654c692f0772cb512491713eb30a972a604c0ed",
            PLASMA,
            name="Grey.jpg",
        ),
        Photo(
            "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
            "bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8",
            PLASMA,
            name="Kite.jpg",
        ),
        Photo(
            "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
            "cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd",
            PLASMA,
            name="OneStandsOut.jpg",
        ),
        Photo(
            "usr/share/wallpapers/Path/contents/images/2560x1600.jpg",
            "7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8",
            PLASMA,
            name="Path.jpg",
        ),
        Photo(
            "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
            "c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8",
            PLASMA,
            name="summer_1am.jpg",
        ),
    ),
)

MATE_BACKGROUNDS = Package(
    "debian",
    "mate-backgrounds",
    "1.26.0-1",
    (
        Photo(
            "usr/share/backgrounds/mate/nature/Aqua.jpg",
            "5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/Blinds.jpg",
            "f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/Dune.jpg",
            "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/FreshFlower.jpg",
            "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/Garden.jpg",
            "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
            "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/LadyBird.jpg",
            "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/RainDrops.jpg",
            "3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/Storm.jpg",
            "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/TwoWings.jpg",
            "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/Wood.jpg",
            "19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07",
            "GPL-2+",
        ),
        Photo(
            "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
            "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306",
            "GPL-2+",
        ),
    ),
)

LOMIRI_WALLPAPERS_16_04 = Package(
    "debian",
    "lomiri-wallpapers-16.04",
    "20.04.0-2",
    (
        Photo(
            "usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
            "bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050",
            "CC-BY-SA-4.0",
        ),
        Photo(
            "usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
            "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3",
            "CC-BY-SA-4.0",
        ),
        Photo(
            "usr/share/backgrounds/Picture_0B_by_freespace.jpg",
            "c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/Picture_1A_by_freespace.jpg",
            "89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
            "d2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg",
            "66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/analogpattern_by_Peter_Nerlich.jpg",
            "15372488a192b2be2eafc67bd3ed31cbfca19abe3929e925607fcbc9cb4d4202",
            "CC-BY-SA-4.0",
        ),
        Photo(
            "usr/share/backgrounds/free_by_Peter_Nerlich.jpg",
            "85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373",
            "CC-BY-SA-4.0",
        ),
        Photo(
            "usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg",
            "cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg",
            "e7b20e2db9dcd6e2b278ca55873c2110b35d89cd38b04d0b18728726888e6889",
            "CC-BY-SA-4.0",
        ),
        Photo(
            "usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg",
            "4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
            "414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a",
            "CC-BY-4.0",
        ),
        Photo(
            "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg",
            "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f",
            "CC0-1.0",
        ),
        Photo(
            "usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg",
            "474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18",
            "CC-BY-4.0",
        ),
    ),
)

LOMIRI_WALLPAPERS_20_04 = Package(
    "debian",
    "lomiri-wallpapers-20.04",
    "20.04.0-2",
    (
        Photo(
            "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
            "6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7",
            "CC-BY-SA-3.0",
        ),
    ),
)

OPENCV_DOC = Package(
    "debian",
    "opencv-doc",
    "4.6.0+dfsg-12",
    (
        Photo(
            "usr/share/doc/opencv-doc/examples/data/aloeL.jpg",
            "cce5736808efe80d9f04b118dbb978c344d4345672b332718c3e039a3eeb8eee",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/aloeR.jpg",
            "9b23100df31a846bc6e6a6545563b2b4120b948c9835c7d36cde00af77f4503e",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/apple.jpg",
            "e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/baboon.jpg",
            "1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/board.jpg",
            "4c9a24ba67138ad5486d550f586cc5dd1161be112f1c1bea336d6c550cdf255f",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/building.jpg",
            "742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/butterfly.jpg",
            "34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/ela_original.jpg",
            "b55798b35e2dcb24675f0865a2442d0e4887eeb6aff322ecb1968d936cc23e7f",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/fruits.jpg",
            "9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/graf1.png",
            "1504b769303c7bde00fa578eeaad3c68e02aceabeb1242e556f1f8d19e4bdea5",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/graf3.png",
            "492e0e96f21748d093e1a29f4dbfd46528bd75966937e85ce7c8abc0f361fc15",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/home.jpg",
            "23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/leuvenA.jpg",
            "b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/leuvenB.jpg",
            "5bb41a60038a2baa5d8ea0eaba55e6e3050d721b254cf79d8d8998d7e49d664a",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/messi5.jpg",
            "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/orange.jpg",
            "152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/rubberwhale1.png",
            "eb312435369dac9efcc92f7e098edbd9ed8d7e6dfede8b3b4d8e3702cd80b796",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/rubberwhale2.png",
            "ee309a00d47b837b322ea5d9128775e0c46869b8014376286ba316a073d293ac",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/smarties.png",
            "ad3f751c053fdcf432687c1bc0e56a61a9119d2bb2ae29365f8aa6534fc77417",
            OPENCV,
        ),
        Photo(
            "usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg",
            "20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b",
            OPENCV,
        ),
    ),
)

LXQT_THEMES = Package(
    "debian",
    "lxqt-themes",
    "1.2.0-1",
    (
        Photo(
            "usr/share/lxqt/wallpapers/Butterfly-Kenneth-Wimer.jpg",
            "c237c26f6f0b18db3afa62a0eff13cb8208b79a1ef35aaadcb745d8f9faef146",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/Valendas.png",
            "f2d275c51d116942cea8e7d80d30c7d3c130349a0695caf2aa235f926ae15759",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/after-the-rain.jpg",
            "e6cb8b3e09b904cc493ff17fddcd564d4e46a1761d05adf972c285a1fd878234",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/appleflower.png",
            "bae8a8eb8274b29509f1cbbfe250081331c5704a1fea25d5052166a0451e67f3",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/beam.png",
            "3d199194b048cb793c0ad558337cda3e16f14cd054168d1d813620e24a0a5659",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/butterfly.png",
            "13175434d99075e075de7321942e66169e3c99ac9416024dcf4123bd3b38749c",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/cloud.png",
            "522dbf79dfaff751cf8ef2f337c9d196a231fa096bc38806a76ce048b8c7b5a2",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/drop.png",
            "3b726aea9a6f8af36431c6f1974f982f7f4c5a4443499500bda31be27e4ffde8",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/flowers.png",
            "3a935d8be4d6c9784f9079ff2814acd2de2c8406e9fe584be03e90264f37c371",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/fog.jpg",
            "a8235344ee6b5ab1b6de3ccef731bcc0e6509cf33ce832db87eae1eb75987083",
            "LGPL-2.1+",
        ),
        Photo(
            "usr/share/lxqt/wallpapers/this-is-not-windows.jpg",
            "2d885e0438c0ab244f818d33d8f745a1cc486558462faf9bf3948675c68ac227",
            "LGPL-2.1+",
        ),
    ),
)

PYTHON3_SKLEARN = Package(
    "debian",
    "python3-sklearn",
    "1.2.1+dfsg-1",
    (
        Photo(
            "usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg",
            "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
            SKLEARN,
        ),
        Photo(
            "usr/lib/python3/dist-packages/sklearn/datasets/images/flower.jpg",
            "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
            SKLEARN,
        ),
    ),
)

KPHOTOALBUM = Package(
    "debian",
    "kphotoalbum",
    "5.9.1-1",
    (
        Photo(
            "usr/share/kphotoalbum/demo/anne_helene.jpg",
            "75dea938bf86530e95c6b74dbcc7fb447947fd17d523121634e08f03e0e7304f",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/bar55.jpg",
            "dd57f8a93ea84b46d817d3b10d496360b81588da9ea887887d057803cc39c52d",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/bar55_2.jpg",
            "e2a3ebc63306abf0a3ae898edd69fbc0a5cef16f28450ceb1d32c67c6f7b662a",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/blackie.jpg",
            "5a72fc60a65448e02e8022820ed5bc15d3e9ce4c92d55d51a7d760357cf704e7",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/cold_water.jpg",
            "1c92d774263012891803360080a03999ffdb4fb643f320d9c106b5a3cbb21306",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/donna.jpg",
            "c98f91990752bb6dff72bd8bb2820dc28317051c0e60ddf11822a39f076c31da",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/donna_2.jpg",
            "b476b81f11db406767598266f81cb8623204c8207f297e4abcf2055366794b5f",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/grand_canyon_1.jpg",
            "5d60136f1143918c30d5ddf8892216fc401ea126ed01afe1d8b9374cfae43669",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/grand_canyon_2.jpg",
            "7814adbefb9665f506acf5123981c83bb5b22dde12b10ef57083d328a86cbdb6",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/grand_canyon_3.jpg",
            "923ba3a8d16993388f19686d333d70988f7baf4885865af1729f80bbbd02ffe7",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/jesper.jpg",
            "5b3b5a6cdf040c238c137fd50d3f4e3aa3f6877b6f031c93ad9b06c45225b7e6",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/jesper_2.jpg",
            "e7c5112cad4076c0b16f7a822b0bf559859ad84077705442769afb91c81bcb1b",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/new_wave_1.jpg",
            "dd422c963594e0441ab66c600a322a0b7259dc4b9db535c9a30010b66ce14200",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/new_wave_2.jpg",
            "a262d1ec436c0f41495963cbaaf69cb618da0b56a27fa03c0c1e3206e841a261",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/pool.jpg",
            "c6b1c79236388d3a7608ce1b8702a613f3d62105e36dfebc1fce4efe16e42560",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/pool_2.jpg",
            "82f0e4ec1906a55bd25050bbbc91f4af9607c10d38535cc3dbd55522a00a132f",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/qt-logo.jpg",
            "12f4d580dff54dab5a4b0c81f4f208cdb1d134782c7b23d2f8c8bab09a80d458",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/skagen.jpg",
            "d7c724e47d68b9f9483b14a9a21235c2ba6c9b3bffd1be49a344391e4c189760",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/skagen_2.jpg",
            "17ca43c9fb3b60ad27c63e3a418bff2090999e96bd7a9c7f2c46fb58de899a72",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/snow.jpg",
            "7106574608681e7e3387bdc299663cbce521099e9fbff611decf227ee19e7780",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/spiff.jpg",
            "4d222fe255566ab7249db968d28aeed2c1ef5508ea79da870d7a5c5cfa290f78",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/spiff_2.jpg",
            "9bbab84f204329e1def8c39dda58706aaccb4a913ced00c2593b299a971d2a53",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/sunset.jpg",
            "da4a44a03272bbaabc9aa384137f2531fe2a7c0075bc761be001c7b4d2eeb4ee",
            "GPL-2+",
        ),
        Photo(
            "usr/share/kphotoalbum/demo/wayne.jpg",
            "1e5e3880f65a857181ec98b9fb686e1ebfd03fc6808f002d83aefe758eacece1",
            "GPL-2+",
        ),
    ),
)

TUXPAINT_DATA = Package(
    "debian",
    "tuxpaint-data",
    "1:0.9.28-sdl2-1",
    (
        Photo(
            "usr/share/tuxpaint/templates/burnt_bark.jpg",
            "14f3d6ad3fa5dd2cc0a2a996ed95d09e07f858269a0c90564d8f6f09d679f3b8",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/cliff.jpg",
            "ff8da5b7a4eb5f5558a9768764871330ba245dc54ff55d5766129f47a45e7392",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/corn_maze.jpg",
            "e3c5dfd777c38fbf79126795ba1165fee41e62402436196363a5e2d938a2d3be",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/jellyfish.jpg",
            "340228d44027370689e43fe44e3a01a3793d79224a7fd20b3d52f824a65f787d",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/lighthouse.jpg",
            "bf92c1139da97690208a3948c9d1051649deb44bb51baa288820f5c64f9e6365",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/mossy_bark.jpg",
            "153b9d8eb33c6f0f6c4a8014039606ccbf1a89677209877de64ab3645324edbb",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/mossy_log.jpg",
            "02ba4842fcf5f48f000d8325da89d85bedd8edc0d8cf551603dfdcfca12064e2",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/mudstone.jpg",
            "ce1d13d3b66155bea3bc28db56694ade9ed27bd8814814672a0d58cd1b0d93f5",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/ocean_splash.jpg",
            "a6c1697ed8dc06c72136041363b0808f5092625a466e8f9c5f7752375a398404",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/ocean_waves.jpg",
            "b99c24c7148cb2935c7a9cfde12b81f368f8162e32349e554a8cb2dd44c5624e",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/redwoods_above.jpg",
            "cda5f9d27e979e01e22bc16fce24e00b175f4cbfa99e12aa414f308c9aa00745",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/rocks.jpg",
            "f3ddf517f26bc77a3f6a98010fc0bfa0ccac431869388755e0032a4f7bb6d748",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/sheep.jpg",
            "cb408f8b3fc324798d012f71595a148f9fa360c17d1bde91371bd7c01e9cf881",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/spiders_web.jpg",
            "a105461c86ff3c61aa46a6bc75747da570cd836d5c5a465b8faefb564f55ed30",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/sun_behind_clouds.jpg",
            "a76583449fb6cf58ca3fd88deac57932f5e0623df8f6ca733258a2ceab3abf91",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/sun_behind_leaves.jpg",
            "a6373334dc5af701d9e5f0efa0e1e4671202897a8e49db4b97d7e826b4590ff8",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/trees_above.jpg",
            "d75bcb1c0c9cd3f9d9568b09f008e469c1e07ecc0fb84fe2aa858717228310c1",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/trees_at_dusk.jpg",
            "9499116f8e8f494bd776b12b9cb4782a118662801ddff98c4127c866cf255720",
            "GPL-2+",
        ),
        Photo(
            "usr/share/tuxpaint/templates/wool_mill_machine.jpg",
            "e66d36c482d32cc5bfd001923e584cf6398ef95039d92e9d2e65f64c33274a18",
            "GPL-2+",
        ),
    ),
)

GIMP_HELP_EN = Package(
    "debian",
    "gimp-help-en",
    "2.10.34-2",
    (
        Photo(
            "usr/share/gimp/2.0/help/en/images/tutorials/tone-mapping/apple-orchard-truck-from-camera.jpg",
            "4d456ec2069d1ef543489e0f503d2eaa6bb0b17654e2029928a0d8ffdb4341b3",
            "GFDL-NIV-1.2+",
        ),
        Photo(
            "usr/share/gimp/2.0/help/en/images/tutorials/tone-mapping/power-lines.jpg",
            "68a7c0bf1af99ed81a4972d7d4e89182bba0fbb824517016e6c040a916e2f92c",
            "GFDL-NIV-1.2+",
        ),
    ),
)

QTDECLARATIVE5_EXAMPLES = Package(
    "debian",
    "qtdeclarative5-examples",
    "5.15.8+dfsg-3",
    (
        Photo(
            "usr/lib/x86_64-linux-gnu/qt5/examples/quick/customitems/scrollbar/pics/niagara_falls.jpg",
            "a480f09e2640212f2848773929feef7d49e682c5e72de525756953ee5a3f9a56",
            "BSD-3-clause",
        ),
        Photo(
            "usr/lib/x86_64-linux-gnu/qt5/examples/quick/particles/images/backgroundLeaves.jpg",
            "d96bc3cd212d3183e6415605606b102484749a6c2da560ea539ec49c388fb803",
            "BSD-3-clause",
        ),
        Photo(
            "usr/lib/x86_64-linux-gnu/qt5/examples/quick/touchinteraction/flickable/content/cork.jpg",
            "0c3711d053289524bec0fbd91634c8871716a4c28784dfd049f1ee9aff7c0f19",
            "BSD-3-clause",
        ),
    ),
)

LIBVIPS_DOC = Package(
    "debian",
    "libvips-doc",
    "8.14.1-3+deb12u3",
    (
        Photo(
            "usr/share/gtk-doc/html/libvips/owl.jpg",
            "0c0e02efc95e462a0ada0f3b413fe4857bd2d52568b2763241a378622b6ba3db",
            "LGPL-2.1",
        ),
    ),
)

DIGIKAM_DATA = Package(
    "debian",
    "digikam-data",
    "4:7.9.0-1",
    (
        Photo(
            "usr/share/digikam/about/images/body-background.jpg",
            "c7be31659ad55ee2b88bc5d0651ce7925829a34ca843e620b6d23c6303e36860",
            "GPL-2+",
        ),
    ),
)

TRAINING_PACKAGES: tuple[Package, ...] = (
    PLASMA_WORKSPACE_WALLPAPERS,
    MATE_BACKGROUNDS,
    LOMIRI_WALLPAPERS_16_04,
    LOMIRI_WALLPAPERS_20_04,
    OPENCV_DOC,
    LXQT_THEMES,
    PYTHON3_SKLEARN,
    KPHOTOALBUM,
    TUXPAINT_DATA,
    GIMP_HELP_EN,
    QTDECLARATIVE5_EXAMPLES,
    LIBVIPS_DOC,
    DIGIKAM_DATA,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinct.models.training.sources", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--dest", type=Path, default=DEFAULT_CACHE, help=f"folder for the photos (default {DEFAULT_CACHE})"
    )
    args = parser.parse_args(argv)
    try:
        names = fetch(TRAINING_PACKAGES, args.dest)
    except FetchError as exc:
        print(exc, file=sys.stderr)
        return 2
    counts = Counter(name.split("/", 1)[0] for name in names)
    for package in TRAINING_PACKAGES:
        print(f"{counts[package.name]:4d}  {package.name} {package.version}")
    print(f"{len(names):4d}  photos in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
