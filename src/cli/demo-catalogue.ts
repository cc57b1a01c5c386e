import type { Genre } from '../domain/enums.js';

/**
 * The demo catalogue `butaca seed --demo` loads: real titles and years, synopses written for
 * Butaca, and short reviews in English and Spanish. Plain data; src/cli/seed.ts does the loading.
 */

export interface DemoMovie {
  title: string;
  year: number;
  /** The title in its own language, when the one above is not. */
  original_title: string | null;
  directors: readonly string[];
  genres: readonly Genre[];
  /** Minutes. */
  runtime: number;
  synopsis: string;
  /** Gets the sample trailer (assets/demo/trailer.mp4). */
  trailer?: boolean;
}

export const DEMO_MOVIES: readonly DemoMovie[] = [
  {
    title: 'Metropolis',
    year: 1927,
    original_title: null,
    directors: ['Fritz Lang'],
    genres: ['drama', 'sci-fi'],
    runtime: 153,
    synopsis: 'In a city of towers above and tunnels below, the son of its master follows a young teacher down to the machines that keep it running.',
    trailer: true,
  },
  {
    title: 'Casablanca',
    year: 1942,
    original_title: null,
    directors: ['Michael Curtiz'],
    genres: ['drama', 'romance', 'war'],
    runtime: 102,
    synopsis: 'A cynical club owner in wartime Morocco finds that the letters of transit in his safe and the woman who walks into his bar are tied together.',
  },
  {
    title: 'Seven Samurai',
    year: 1954,
    original_title: 'Shichinin no samurai',
    directors: ['Akira Kurosawa'],
    genres: ['action', 'drama'],
    runtime: 207,
    synopsis: 'A poor farming village hires seven masterless swordsmen to defend its harvest from the bandits who come back every year.',
  },
  {
    title: 'Vertigo',
    year: 1958,
    original_title: null,
    directors: ['Alfred Hitchcock'],
    genres: ['mystery', 'romance', 'thriller'],
    runtime: 128,
    synopsis: "A retired detective afraid of heights is hired to follow an old friend's wife, and follows her much further than he meant to.",
  },
  {
    title: 'Cléo from 5 to 7',
    year: 1962,
    original_title: 'Cléo de 5 à 7',
    directors: ['Agnès Varda'],
    genres: ['drama', 'music'],
    runtime: 90,
    synopsis: 'A singer waiting for a medical result walks through Paris for two hours, almost in real time, and starts to see the city differently.',
  },
  {
    title: '2001: A Space Odyssey',
    year: 1968,
    original_title: null,
    directors: ['Stanley Kubrick'],
    genres: ['adventure', 'sci-fi'],
    runtime: 149,
    synopsis: "From the first tool to a mission to Jupiter, a black monolith marks each leap, and a ship's computer decides it knows best.",
  },
  {
    title: 'El espíritu de la colmena',
    year: 1973,
    original_title: null,
    directors: ['Víctor Erice'],
    genres: ['drama', 'fantasy'],
    runtime: 97,
    synopsis: 'After a travelling show screens Frankenstein in her Castilian village, a small girl sets out to find the creature’s spirit.',
  },
  {
    title: 'Jaws',
    year: 1975,
    original_title: null,
    directors: ['Steven Spielberg'],
    genres: ['adventure', 'thriller'],
    runtime: 124,
    synopsis: 'A shark keeps coming back to a summer resort town, and the police chief who is afraid of the water has to go out and meet it.',
    trailer: true,
  },
  {
    title: 'Alien',
    year: 1979,
    original_title: null,
    directors: ['Ridley Scott'],
    genres: ['horror', 'sci-fi'],
    runtime: 117,
    synopsis: 'The crew of a mining ship answers a distress call and brings back something that grows, hides and hunts in the corridors.',
    trailer: true,
  },
  {
    title: 'Blade Runner',
    year: 1982,
    original_title: null,
    directors: ['Ridley Scott'],
    genres: ['action', 'drama', 'sci-fi'],
    runtime: 117,
    synopsis: 'In a rain-soaked Los Angeles, a weary detective hunts four fugitive replicants who only want more time.',
  },
  {
    title: 'Back to the Future',
    year: 1985,
    original_title: null,
    directors: ['Robert Zemeckis'],
    genres: ['adventure', 'comedy', 'sci-fi'],
    runtime: 116,
    synopsis: 'A teenager lands in 1955 in a time-travelling car and has to make sure his parents still fall in love.',
  },
  {
    title: 'Mujeres al borde de un ataque de nervios',
    year: 1988,
    original_title: null,
    directors: ['Pedro Almodóvar'],
    genres: ['comedy', 'drama'],
    runtime: 88,
    synopsis: 'A voice actress left by her lover spends a frantic Madrid weekend among spiked gazpacho, a police hunt and a penthouse on fire.',
  },
  {
    title: 'My Neighbor Totoro',
    year: 1988,
    original_title: 'Tonari no Totoro',
    directors: ['Hayao Miyazaki'],
    genres: ['animation', 'family', 'fantasy'],
    runtime: 86,
    synopsis: 'Two sisters who move to the countryside while their mother is in hospital make friends with the gentle giant spirits of the forest.',
  },
  {
    title: 'Groundhog Day',
    year: 1993,
    original_title: null,
    directors: ['Harold Ramis'],
    genres: ['comedy', 'fantasy', 'romance'],
    runtime: 101,
    synopsis: 'A sour weatherman lives the same small-town holiday again and again until he learns to spend it well.',
  },
  {
    title: 'Pulp Fiction',
    year: 1994,
    original_title: null,
    directors: ['Quentin Tarantino'],
    genres: ['crime', 'drama'],
    runtime: 154,
    synopsis: "Hitmen, a boxer, a gangster's wife and two diner robbers cross paths in stories told out of order around Los Angeles.",
  },
  {
    title: 'Toy Story',
    year: 1995,
    original_title: null,
    directors: ['John Lasseter'],
    genres: ['adventure', 'animation', 'comedy'],
    runtime: 81,
    synopsis: "A cowboy doll's place as a boy's favourite toy is threatened by a space ranger who does not know he is a toy.",
  },
  {
    title: 'Amores perros',
    year: 2000,
    original_title: null,
    directors: ['Alejandro González Iñárritu'],
    genres: ['drama', 'thriller'],
    runtime: 154,
    synopsis: 'One car crash in Mexico City ties together three stories of love, loyalty and dogs.',
  },
  {
    title: 'Spirited Away',
    year: 2001,
    original_title: 'Sen to Chihiro no kamikakushi',
    directors: ['Hayao Miyazaki'],
    genres: ['adventure', 'animation', 'family'],
    runtime: 125,
    synopsis: 'A girl stranded in a bathhouse for spirits goes to work for a witch to free her parents, who have been turned into pigs.',
  },
  {
    title: 'El laberinto del fauno',
    year: 2006,
    original_title: null,
    directors: ['Guillermo del Toro'],
    genres: ['drama', 'fantasy', 'war'],
    runtime: 118,
    synopsis: 'In 1944 Spain, a girl living under her cruel stepfather, an army captain, is set three tasks by a faun in an old labyrinth.',
  },
  {
    title: 'El secreto de sus ojos',
    year: 2009,
    original_title: null,
    directors: ['Juan José Campanella'],
    genres: ['drama', 'mystery', 'thriller'],
    runtime: 129,
    synopsis: 'A retired court investigator writes a novel about a 1970s murder case that never let him go, nor did the judge he loved.',
  },
  {
    title: 'Inception',
    year: 2010,
    original_title: null,
    directors: ['Christopher Nolan'],
    genres: ['action', 'adventure', 'sci-fi'],
    runtime: 148,
    synopsis: 'A thief who steals secrets from dreams takes one last job: planting an idea three dreams deep.',
    trailer: true,
  },
  {
    title: 'Roma',
    year: 2018,
    original_title: null,
    directors: ['Alfonso Cuarón'],
    genres: ['drama'],
    runtime: 135,
    synopsis: "A year in the life of a live-in maid for a middle-class family in 1970s Mexico City, in black and white.",
  },
  {
    title: 'Parasite',
    year: 2019,
    original_title: 'Gisaengchung',
    directors: ['Bong Joon Ho'],
    genres: ['drama', 'thriller'],
    runtime: 132,
    synopsis: 'An unemployed family talks its way, one member at a time, into the household of a wealthy one, until the basement holds a surprise.',
  },
  {
    title: 'Everything Everywhere All at Once',
    year: 2022,
    original_title: null,
    directors: ['Daniel Kwan', 'Daniel Scheinert'],
    genres: ['action', 'adventure', 'comedy'],
    runtime: 139,
    synopsis: 'A laundromat owner in the middle of a tax audit must borrow the skills of her other selves across the multiverse to save it.',
  },
];

/** Printed at the end of the seed: publicly known, so for a local demo only. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_ADMIN_PASSWORD = 'admin-password';

export const DEMO_ADMIN = 'admin';
/** `demo` is the one to log in as; the others make the reviews look like a community. */
export const DEMO_REVIEWERS = ['demo', 'lucia', 'marcos', 'sofia', 'kenji'] as const;

/** Who the demo's members are: a name, a few lines about them, the language they write in. */
export const DEMO_PROFILES: Record<(typeof DEMO_REVIEWERS)[number], { name: string; bio: string; language: 'en' | 'es' }> = {
  demo: { name: 'Demo Member', bio: 'The account to try Butaca with. Mostly science fiction, some comedies, every Friday.', language: 'en' },
  lucia: { name: 'Lucía Ferrer', bio: 'Profesora en Valencia. Cine español, animación y todo lo que ponga la filmoteca.', language: 'es' },
  marcos: { name: 'Marcos Iglesias', bio: 'De Vigo. Veo de todo, pero vuelvo siempre a los clásicos.', language: 'es' },
  sofia: { name: 'Sofía Ramírez', bio: 'Ciudad de México. Documentales, cine latinoamericano y algún blockbuster sin culpa.', language: 'es' },
  kenji: { name: 'Kenji Mori', bio: 'Animation nerd in Osaka; I log everything I watch, and I rewatch a lot.', language: 'en' },
};

/** Short review texts by language and score (index 0 is a score of 1). */
export const REVIEW_TEXTS: Record<'en' | 'es', readonly (readonly string[])[]> = {
  en: [
    ['Could not finish it. The pacing lost me within twenty minutes.', 'Not for me at all; I kept checking the clock.', 'Cold and long, and it says very little.'],
    ['A couple of great scenes, but the rest drags.', 'Beautiful to look at, hard to care about.', 'I expected much more after all the praise.'],
    ['Solid and well made; I liked it more than I expected.', 'Good, not great. Worth one watch.', 'Entertaining, though it did not stay with me.'],
    ['Gripping from start to finish, with a terrific ending.', 'Smart, funny and moving. I will watch it again.', 'Great performances and a script with nothing spare.'],
    ['A masterpiece. Every frame is doing something.', 'One of my all-time favourites; it gets better each time.', 'I left the cinema without words.'],
  ],
  es: [
    ['No la aguanté: lenta, fría y sin nada que contar.', 'Me aburrí muchísimo, lo siento.', 'La dejé a la media hora.'],
    ['Tiene momentos, pero se me hizo larga.', 'Esperaba mucho más después de tanto elogio.', 'Muy bonita de ver, pero no me llegó.'],
    ['Entretenida y bien hecha, aunque no me marcó.', 'Correcta. La música es lo mejor.', 'Me gustó más de lo que esperaba.'],
    ['Muy buena: actuaciones enormes y un guion redondo.', 'Me tuvo enganchada todo el rato. Recomendadísima.', 'Inteligente, divertida y emocionante.'],
    ['Una obra maestra. Salí del cine sin palabras.', 'Imprescindible. La he visto cinco veces y no me canso.', 'Cada plano está pensado. Enorme.'],
  ],
};

/** Where and how it was seen: the second half of a demo review, so no two are the same. */
export const REVIEW_ASIDES: Record<'en' | 'es', readonly string[]> = {
  en: [
    'Seen at home on a rainy Sunday.',
    'Watched it with my sister, who loved it more than I did.',
    'The sound design deserves a mention.',
    'Caught it at a late screening, half the seats empty.',
    'The last twenty minutes are the reason to see it.',
    'I went in knowing nothing, which helped.',
    'The score has been in my head all week.',
    'Better on a big screen, I suspect.',
    'A friend recommended it years ago; I finally listened.',
    'The supporting cast steals every scene.',
  ],
  es: [
    'La vi en casa un domingo de lluvia.',
    'La vi con mi hermana, que salió encantada.',
    'El sonido merece una mención aparte.',
    'En una sesión de madrugada, con media sala vacía.',
    'Los últimos veinte minutos lo justifican todo.',
    'Entré sin saber nada y fue lo mejor.',
    'Llevo toda la semana con la banda sonora en la cabeza.',
    'En pantalla grande debe de ser otra cosa.',
    'Me la recomendaron hace años y por fin hice caso.',
    'Los secundarios se comen cada escena.',
  ],
};

/** Tags the demo's diary entries carry. */
export const DEMO_TAGS: Record<'en' | 'es', readonly string[]> = {
  en: ['cinema', 'home', 'with friends', 'rewatch night', 'film club'],
  es: ['cine', 'en casa', 'con amigos', 'filmoteca', 'verano'],
};

/** What the demo's members say under each other's reviews, in the language they write in. */
export const DEMO_COMMENTS: Record<'en' | 'es', readonly string[]> = {
  en: [
    'Completely agree, the ending stayed with me for days.',
    'I liked it more than you did, but I see your point.',
    'Adding it to my watchlist after reading this.',
    'The score alone is worth it.',
    'Saw it again last month: it holds up.',
  ],
  es: [
    'Totalmente de acuerdo, el final me duró días.',
    'A mí me gustó más, pero entiendo lo que dices.',
    'Me la apunto después de leer esto.',
    'Solo por la música ya merece la pena.',
    'La volví a ver el mes pasado y sigue igual de bien.',
  ],
};

/** The demo's lists: whose, what, ranked or not, public or not, and how many of the catalogue's films. */
export const DEMO_LISTS: readonly { owner: (typeof DEMO_REVIEWERS)[number]; title: string; description: string | null; ranked: boolean; public: boolean; films: number }[] = [
  { owner: 'demo', title: 'Friday night favourites', description: 'What I put on when the week is over.', ranked: true, public: true, films: 6 },
  { owner: 'lucia', title: 'Para un domingo de lluvia', description: 'Películas para ver con manta y sin prisa.', ranked: false, public: true, films: 5 },
  { owner: 'marcos', title: 'Clásicos que todo el mundo debería ver', description: null, ranked: true, public: true, films: 8 },
  { owner: 'demo', title: 'To watch with my parents', description: 'Private: only I can see this one.', ranked: false, public: false, films: 3 },
];
